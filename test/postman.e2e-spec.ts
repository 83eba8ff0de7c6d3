import { join } from 'path';
import newman, { NewmanRunSummary } from 'newman';
import { RunningApp, startApp } from './support/app';

const POSTMAN = join(__dirname, '..', 'postman');

describe('the Postman collection, run with newman against a running instance', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('passes every request’s tests', async () => {
    const summary = await new Promise<NewmanRunSummary>((resolve, reject) =>
      newman.run(
        {
          collection: join(POSTMAN, 'messenger.postman_collection.json'),
          environment: join(POSTMAN, 'messenger.postman_environment.json'),
          envVar: [{ key: 'baseUrl', value: app.url }],
          reporters: [],
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      ),
    );
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.message}`);
    expect(failures).toEqual([]);
    expect(summary.run.stats.requests.total).toBeGreaterThanOrEqual(50);
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(80);
  });
});
