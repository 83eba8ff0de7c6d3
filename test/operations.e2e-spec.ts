import { join } from 'path';
import { testEnv, twoInstances } from './support/app';
import { registerUser } from './support/http';
import { freePort, Proc, waitForHttp } from './support/processes';
import { WorkerProcess } from './support/worker';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids in error bodies', () => {
  const env = twoInstances();

  it('an error body carries the requestId that X-Request-Id names', async () => {
    const missingToken = await env.apiA.get('/users/me');
    expect(missingToken.status).toBe(401);
    expect(missingToken.body.requestId).toMatch(UUID);
    expect(missingToken.body.requestId).toBe(missingToken.headers.get('x-request-id'));

    const alice = await registerUser(env.apiA, 'alice');
    const unknownUser = await alice.api.get('/users/00000000-0000-4000-8000-000000000000');
    expect(unknownUser.status).toBe(404);
    expect(unknownUser.body).toMatchObject({
      code: 'USER_NOT_FOUND',
      requestId: expect.stringMatching(UUID),
    });
    expect(unknownUser.body.requestId).toBe(unknownUser.headers.get('x-request-id'));
    expect(unknownUser.body.requestId).not.toBe(missingToken.body.requestId);
  });

  it('a sane incoming X-Request-Id is echoed in the header and the body; anything else is replaced', async () => {
    const given = await env.apiA.get('/users/me', { 'x-request-id': 'edge-7f3a.retry_2' });
    expect(given.status).toBe(401);
    expect(given.headers.get('x-request-id')).toBe('edge-7f3a.retry_2');
    expect(given.body.requestId).toBe('edge-7f3a.retry_2');

    for (const insane of ['has spaces', 'x'.repeat(129), 'semi;colon']) {
      const res = await env.apiA.get('/users/me', { 'x-request-id': insane });
      expect({ insane, requestId: res.body.requestId }).toEqual({
        insane,
        requestId: expect.stringMatching(UUID),
      });
      expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
    }
  });

  it('also for requests refused before the request logger saw them (an unreadable body)', async () => {
    const malformed = await env.apiA.post('/auth/login', '{"login": ', { 'x-request-id': 'bad-body-1' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'MALFORMED_JSON', requestId: 'bad-body-1' });
    expect(malformed.headers.get('x-request-id')).toBe('bad-body-1');

    const generated = await env.apiA.post('/auth/login', '{"login": ');
    expect(generated.body.requestId).toMatch(UUID);
    expect(generated.headers.get('x-request-id')).toBe(generated.body.requestId);
  });
});

/** A process's output as log entries; a line that is not pino JSON counts as an info line (it is noise too). */
function logLines(
  output: string,
): { level: number; context?: string; msg?: string; [key: string]: unknown }[] {
  return output
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return { level: 30, msg: line };
      }
    });
}

const NEST_STARTUP = /InstanceLoader|RoutesResolver|RouterExplorer|NestFactory|NestApplication/;

describe('quiet start-up (the built processes at LOG_LEVEL=info)', () => {
  // The test command builds first (npm run build); dist/ is what production runs.
  const ENTRY = join(__dirname, '..', 'dist', 'main.js');
  // No presence sweeps while we count: another test's dead instance being swept is news, not start-up.
  const QUIET = { LOG_LEVEL: 'info', PRESENCE_INSTANCE_TTL_MS: '600000' };

  it("the API writes one info line before it is ready, and none of Nest's module or route lines", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = Proc.spawn(process.execPath, [ENTRY], {
      ...process.env,
      ...testEnv({ ...QUIET, PORT: String(port) }),
    });
    try {
      await waitForHttp(`${base}/api/health/ready`, api);
      const info = logLines(api.output).filter((l) => l.level >= 30);
      expect(info.map((l) => l.msg)).toEqual([expect.stringMatching(/^API started on port \d+/)]);
      expect(api.output).not.toMatch(NEST_STARTUP);
      expect(api.output).not.toMatch(/Mapped \{/);

      // The request id of an error body is the one in the request's log line.
      const res = await fetch(`${base}/api/users/me`, { headers: { 'x-request-id': 'startup-log-check' } });
      expect(((await res.json()) as { requestId: string }).requestId).toBe('startup-log-check');
      await new Promise((r) => setTimeout(r, 300));
      const logged = logLines(api.output).find((l) => (l.req as { id?: string })?.id === 'startup-log-check');
      expect(logged).toMatchObject({ res: { statusCode: 401 } });
    } finally {
      await api.stop();
    }
  });

  it('at debug, the details are still there', async () => {
    const port = await freePort();
    const api = Proc.spawn(process.execPath, [ENTRY], {
      ...process.env,
      ...testEnv({ ...QUIET, LOG_LEVEL: 'debug', PORT: String(port) }),
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/api/health/ready`, api);
      const debug = logLines(api.output).filter((l) => l.level === 20);
      expect(debug.map((l) => l.msg)).toEqual(
        expect.arrayContaining([
          'Mapped {/api/users/me, GET} route',
          'Nest application successfully started',
        ]),
      );
    } finally {
      await api.stop();
    }
  });

  it('the worker writes one info line, "Worker started ..."', async () => {
    const worker = await WorkerProcess.start(QUIET);
    try {
      const info = logLines(worker.output).filter((l) => l.level >= 30);
      expect(info.map((l) => l.msg)).toEqual([
        'Worker started; Telegram bot off (TELEGRAM_BOT_TOKEN is not set)',
      ]);
    } finally {
      await worker.stop();
    }
  });
});
