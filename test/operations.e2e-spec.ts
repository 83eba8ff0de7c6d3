import { readFileSync } from 'fs';
import { join } from 'path';
import { ERROR_STATUS, ErrorCode } from '../src/common/app-error';
import { RunningApp, startApp, testEnv, twoInstances } from './support/app';
import { registerUser } from './support/http';
import { freePort, Proc, waitForHttp } from './support/processes';
import { WorkerProcess } from './support/worker';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PACKAGE = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));

interface Operation {
  path: string;
  method: string;
  op: {
    summary?: string;
    security?: Record<string, string[]>[];
    parameters?: { in: string; name: string }[];
    requestBody?: unknown;
    responses: Record<string, any>;
  };
}

describe('Swagger documents every operation with its errors', () => {
  const env = twoInstances();
  let operations: Operation[];

  beforeAll(async () => {
    const doc: any = await (await fetch(`${env.a.url}/docs-json`)).json();
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods as Record<string, Operation['op']>).map(([method, op]) => ({
        path,
        method,
        op,
      })),
    );
    documentSchemas = doc.components.schemas;
  });
  let documentSchemas: Record<string, { properties?: Record<string, any> }>;

  const name = ({ method, path }: Operation) => `${method.toUpperCase()} ${path}`;
  const authenticated = ({ op }: Operation) => Boolean(op.security?.some((s) => 'bearer' in s));

  it('a summary everywhere; 401 and 503 where authenticated; 400 where it takes input; Retry-After on 429/503', () => {
    expect(operations.length).toBeGreaterThanOrEqual(33);
    const problems: string[] = [];
    for (const o of operations) {
      const has = (status: number) => o.op.responses[String(status)] !== undefined;
      if (!o.op.summary?.trim()) problems.push(`${name(o)}: no summary`);
      if (authenticated(o) && !has(401)) problems.push(`${name(o)}: authenticated, no 401`);
      if (authenticated(o) && !has(503)) problems.push(`${name(o)}: authenticated, no 503`);
      const input = o.op.requestBody !== undefined || (o.op.parameters ?? []).some((p) => p.in !== 'header');
      if (input && !has(400)) problems.push(`${name(o)}: takes input, no 400`);
      for (const status of [429, 503])
        if (has(status) && !o.op.responses[status].headers?.['Retry-After'])
          problems.push(`${name(o)}: ${status} without Retry-After`);
    }
    expect(problems).toEqual([]);
  });

  it('every error response is the shared error body, with an example for each of its codes', () => {
    const problems: string[] = [];
    for (const o of operations) {
      for (const [status, response] of Object.entries(o.op.responses)) {
        if (Number(status) < 400) continue;
        const content = response.content?.['application/json'];
        if (content?.schema?.$ref !== '#/components/schemas/ErrorResponseDto')
          problems.push(`${name(o)} ${status}: not ErrorResponseDto`);
        const examples = Object.values<{ value: any }>(content?.examples ?? {});
        if (examples.length === 0) problems.push(`${name(o)} ${status}: no example`);
        for (const { value } of examples) {
          // The example's code must answer with this status, as the server maps it (app-error.ts).
          if (ERROR_STATUS[value.code as ErrorCode] !== Number(status) || value.statusCode !== Number(status))
            problems.push(
              `${name(o)} ${status}: example ${value.code} is a ${ERROR_STATUS[value.code as ErrorCode]}`,
            );
          if (typeof value.message !== 'string' || typeof value.requestId !== 'string')
            problems.push(`${name(o)} ${status}: example ${value.code} lacks message or requestId`);
          if (!String(response.description).includes(`\`${value.code}\``))
            problems.push(`${name(o)} ${status}: ${value.code} is not described`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the documented auth is the real one: bearer operations answer 401 without a token, the others do not', async () => {
    const anyId = '00000000-0000-4000-8000-000000000000';
    const seen: string[] = [];
    for (const o of operations) {
      const url = env.a.url + o.path.replace(/\{[^}]+\}/g, anyId);
      const hasBody = o.op.requestBody !== undefined;
      const res = await fetch(url, {
        method: o.method.toUpperCase(),
        headers: hasBody ? { 'content-type': 'application/json' } : {},
        body: hasBody ? '{}' : undefined,
      });
      const text = await res.text();
      const code = text.startsWith('{') ? JSON.parse(text).code : undefined;
      const refused = res.status === 401 && code === 'UNAUTHORIZED';
      seen.push(
        `${name(o)}: ${authenticated(o) ? 'bearer' : 'public'}${refused === authenticated(o) ? '' : ' MISMATCH'}`,
      );
    }
    expect(seen.filter((s) => s.endsWith('MISMATCH'))).toEqual([]);
    expect(seen.filter((s) => s.includes('public')).length).toBeGreaterThanOrEqual(6);
  });

  it('request and response bodies show examples: every property of every schema has one', () => {
    const missing: string[] = [];
    for (const [schema, { properties }] of Object.entries(documentSchemas)) {
      for (const [property, p] of Object.entries(properties ?? {})) {
        // A nested object shows its own schema's examples.
        const nested = p.$ref || p.allOf || p.items?.$ref;
        if (!nested && p.example === undefined) missing.push(`${schema}.${property}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('GET /api: where everything is', () => {
  let app: RunningApp;
  let noDocs: RunningApp;
  beforeAll(async () => {
    [app, noDocs] = await Promise.all([startApp(), startApp({ DOCS_ENABLED: 'false' })]);
  });
  afterAll(async () => {
    await Promise.all([app?.close(), noDocs?.close()]);
  });

  it('answers without a token: name, the version from package.json, and the paths that work', async () => {
    const res = await fetch(`${app.url}/api`);
    expect(res.status).toBe(200);
    const index: any = await res.json();
    expect(index).toEqual({
      name: PACKAGE.name,
      version: PACKAGE.version,
      docs: '/docs',
      openapi: '/docs-json',
      asyncapi: '/docs/asyncapi',
      health: '/api/health/ready',
      socketIo: '/socket.io',
    });
    for (const path of [index.docs, index.openapi, index.health])
      expect({ path, status: (await fetch(app.url + path)).status }).toEqual({ path, status: 200 });
    // Swagger names the same version.
    const openApi: any = await (await fetch(app.url + index.openapi)).json();
    expect(openApi.info.version).toBe(PACKAGE.version);
    const engine = await fetch(`${app.url}${index.socketIo}/?EIO=4&transport=polling`);
    expect(engine.status).toBe(200);
  });

  it('leaves the docs links out when DOCS_ENABLED=false', async () => {
    const res = await fetch(`${noDocs.url}/api`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: PACKAGE.name,
      version: PACKAGE.version,
      health: '/api/health/ready',
      socketIo: '/socket.io',
    });
  });
});

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
