import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import Redis from 'ioredis';
import { promisify } from 'util';
import { claimRedisDb, releaseRedisDb } from './setup/test-env';
import { RunningApp, startApp } from './support/app';

const ROOT = join(__dirname, '..');
const run = promisify(execFile);

async function flush(url: string): Promise<void> {
  const redis = new Redis(url);
  await redis.flushdb();
  await redis.quit();
}

interface NewmanReport {
  run: {
    stats: { requests: { total: number }; assertions: { total: number; failed: number } };
    failures: { source?: { name?: string }; error: { message: string } }[];
  };
}

describe('the Postman collection, run with `npm run postman` (newman) against a running instance', () => {
  let app: RunningApp;
  let redisUrl: string;
  let dir: string;
  const claim = `postman-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    // A Redis database of its own, so the auth rate limit starts from zero as for a fresh client (the
    // run's shared one has counted every registration of the other suites), and the default limits.
    redisUrl = await claimRedisDb(claim);
    await flush(redisUrl);
    app = await startApp({ REDIS_URL: redisUrl, THROTTLE_AUTH_PER_MINUTE: '', THROTTLE_SEND_PER_10S: '' });
    dir = mkdtempSync(join(tmpdir(), 'messenger-postman-'));
  });
  afterAll(async () => {
    await app?.close();
    if (redisUrl) {
      await flush(redisUrl);
      await releaseRedisDb(redisUrl, claim);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes every request’s tests three times within a minute, under the default auth rate limit', async () => {
    expect(app.config.throttle.authPerMinute).toBe(20);
    const reports: NewmanReport[] = [];
    for (let i = 1; i <= 3; i++) {
      const out = join(dir, `run-${i}.json`);
      const result = await run(
        'npm',
        ['run', '--silent', 'postman', '--', '--reporters', 'json', '--reporter-json-export', out],
        { cwd: ROOT, env: { ...process.env, BASE_URL: app.url }, timeout: 120_000 },
      ).catch((err: { stdout?: string; stderr?: string; code?: number }) => err);
      const report = JSON.parse(readFileSync(out, 'utf8')) as NewmanReport;
      const failures = report.run.failures.map(
        (f) => `run ${i}, ${f.source?.name ?? '?'}: ${f.error.message}`,
      );
      expect(failures).toEqual([]);
      expect((result as { code?: number }).code ?? 0).toBe(0);
      reports.push(report);
    }
    for (const report of reports) {
      expect(report.run.stats.requests.total).toBeGreaterThanOrEqual(50);
      expect(report.run.stats.assertions.total).toBeGreaterThanOrEqual(80);
    }
  });
});
