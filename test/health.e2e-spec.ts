import { CuttableProxy } from './support/cuttable-proxy';
import { startApp, RunningApp } from './support/app';
import { Api } from './support/http';

describe('health', () => {
  let app: RunningApp;
  let proxy: CuttableProxy;

  beforeAll(async () => {
    const db = new URL(process.env.TEST_DATABASE_URL!);
    proxy = new CuttableProxy({ host: db.hostname, port: Number(db.port || 5432) });
    await proxy.open();
    db.hostname = '127.0.0.1';
    db.port = String(proxy.port);
    app = await startApp({ DATABASE_URL: db.toString() });
  });
  afterAll(async () => {
    await app?.close().catch(() => undefined);
  });

  it('is live and ready while PostgreSQL and Redis answer', async () => {
    const api = new Api(app.url);
    expect((await api.get('/health')).status).toBe(200);
    const ready = await api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('answers 503 on /health/ready when the database is unreachable, and stays live', async () => {
    await proxy.cut();
    const api = new Api(app.url);
    const ready = await api.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(ready.body.details.error).toHaveProperty('database');
    expect(Number(ready.headers.get('retry-after'))).toBeGreaterThan(0); // an outage, like any other 503
    expect((await api.get('/health')).status).toBe(200);
  });
});
