import { readFileSync } from 'fs';
import { join } from 'path';
import { RunningApp, startApp } from './support/app';
import { Api, registerUser } from './support/http';
import { schemaProblems } from './support/json-schema';
import { connectSocket, TestSocket } from './support/sockets';

/**
 * The hand-written reference (docs/api.md), the OpenAPI document (Swagger, /docs-json), the AsyncAPI document
 * (/docs/asyncapi, checked in as docs/asyncapi.json) and the running code must agree: every operation and event
 * is documented, nothing documented is missing, the checked-in AsyncAPI file is the served one, and the payloads
 * a real server sends fit the AsyncAPI schemas.
 */
const ROOT = join(__dirname, '..');
const API_MD = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
const ASYNCAPI_FILE = JSON.parse(readFileSync(join(ROOT, 'docs', 'asyncapi.json'), 'utf8'));

const HEADING = /^### `([A-Z]+) (\/\S*)`\s*$/;

/** The REST operation headings ("### `GET /api/users/{id}`"), in order, with duplicates. */
function restHeadings(markdown: string): string[] {
  return markdown
    .split('\n')
    .map((line) => HEADING.exec(line))
    .flatMap((m) => (m ? [`${m[1]} ${m[2]}`] : []));
}

/** The lines of a section, from its heading to the next heading of the same or a higher level. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`docs/api.md has no "${heading}" heading`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The event headings ("#### `message:new`") of one direction of the Socket.IO section. */
function eventHeadings(direction: string): string[] {
  const socketIo = section(API_MD, '## Socket.IO').join('\n');
  return section(socketIo, `### ${direction}`)
    .map((line) => /^#### `([^`]+)`\s*$/.exec(line)?.[1])
    .filter((e): e is string => Boolean(e));
}

/** JSON with sorted keys: equal documents give equal strings, whichever realm (fetch's or Jest's) parsed them. */
const canonical = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
const sorted = (items: Iterable<string>) => [...items].sort();
const duplicates = (items: string[]) => items.filter((item, i) => items.indexOf(item) !== i);

describe('the API reference (docs/api.md), Swagger, AsyncAPI and the code agree', () => {
  let app: RunningApp;
  let openApi: any;
  let asyncApi: any;

  beforeAll(async () => {
    app = await startApp();
    openApi = await (await fetch(`${app.url}/docs-json`)).json();
    asyncApi = await (await fetch(`${app.url}/docs/asyncapi`)).json();
  });
  afterAll(() => app?.close());

  it('every operation in the OpenAPI document has a "### `METHOD /api/path`" section in docs/api.md', () => {
    const documented = new Set(restHeadings(API_MD));
    const operations = Object.entries(openApi.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.length).toBeGreaterThanOrEqual(30);
    const undocumented = operations.filter((op) => !documented.has(op));
    expect({ 'operations without a section in docs/api.md': undocumented }).toEqual({
      'operations without a section in docs/api.md': [],
    });
  });

  it('every operation section of docs/api.md names an operation that exists, once', async () => {
    const headings = restHeadings(API_MD);
    expect({ 'sections that appear twice': duplicates(headings) }).toEqual({
      'sections that appear twice': [],
    });
    const inOpenApi = (op: string) => {
      const [method, path] = op.split(' ');
      return Boolean(openApi.paths[path]?.[method.toLowerCase()]);
    };
    const unknown = headings.filter((op) => !inOpenApi(op));
    expect({ 'sections for operations that do not exist': unknown }).toEqual({
      'sections for operations that do not exist': [],
    });
  });

  it('the index (GET /api), once served, answers what docs/api.md says', async () => {
    const res = await fetch(`${app.url}/api`);
    expect(res.status).toBe(200);
    const index = (await res.json()) as Record<string, string>;
    expect(sorted(Object.keys(index))).toEqual(
      sorted(['name', 'version', 'docs', 'openapi', 'asyncapi', 'health', 'socketIo']),
    );
    // Every link the index gives answers.
    for (const key of ['docs', 'openapi', 'asyncapi', 'health'])
      expect({ key, status: (await fetch(`${app.url}${index[key]}`)).status }).toEqual({ key, status: 200 });
  });

  it('every event in the AsyncAPI document has a section in docs/api.md’s Socket.IO part, and only those', () => {
    const channels = Object.entries(
      asyncApi.channels as Record<string, { publish?: object; subscribe?: object }>,
    );
    const clientEvents = channels.filter(([, c]) => c.publish).map(([name]) => name);
    const serverEvents = channels.filter(([, c]) => c.subscribe).map(([name]) => name);
    expect(clientEvents).toEqual(expect.arrayContaining(['message:send', 'message:read', 'typing']));
    expect(serverEvents).toEqual(expect.arrayContaining(['message:new', 'session:ended', 'server:shutdown']));
    for (const [direction, events] of [
      ['Client → server events', clientEvents],
      ['Server → client events', serverEvents],
    ] as const) {
      const documented = eventHeadings(direction);
      expect({ direction, duplicates: duplicates(documented) }).toEqual({ direction, duplicates: [] });
      expect({
        direction,
        'in AsyncAPI, not in docs/api.md': events.filter((e) => !documented.includes(e)),
        'in docs/api.md, not in AsyncAPI': documented.filter((e) => !events.includes(e)),
      }).toEqual({ direction, 'in AsyncAPI, not in docs/api.md': [], 'in docs/api.md, not in AsyncAPI': [] });
    }
  });

  it('GET /docs/asyncapi serves docs/asyncapi.json (run `npm run docs:asyncapi` after changing the events)', async () => {
    const res = await fetch(`${app.url}/docs/asyncapi`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const served: any = await res.json();
    expect({ stale: canonical(served) !== canonical(ASYNCAPI_FILE), fix: 'npm run docs:asyncapi' }).toEqual({
      stale: false,
      fix: 'npm run docs:asyncapi',
    });
    expect(served).toEqual(ASYNCAPI_FILE);
    expect(served.asyncapi).toBe('2.6.0');
    // Outside the /api prefix, and with the same security headers as the rest of the docs.
    expect((await fetch(`${app.url}/api/docs/asyncapi`)).status).toBe(404);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('the AsyncAPI objects have the properties Swagger gives the same objects', () => {
    const pairs = {
      Message: 'MessageDto',
      SystemEvent: 'SystemEventDto',
      Chat: 'ChatDto',
      ChatMember: 'ChatMemberDto',
      Receipt: 'ReceiptDto',
    };
    for (const [asyncName, openApiName] of Object.entries(pairs)) {
      const a = asyncApi.components.schemas[asyncName];
      const o = openApi.components.schemas[openApiName];
      expect({
        asyncName,
        properties: sorted(Object.keys(a.properties)),
        required: sorted(a.required),
      }).toEqual({
        asyncName,
        properties: sorted(Object.keys(o.properties)),
        required: sorted(o.required ?? []),
      });
    }
  });

  it('what a real server sends over Socket.IO fits the AsyncAPI schemas', async () => {
    const sockets: TestSocket[] = [];
    const connect = async (token: string) => {
      const socket = await connectSocket(app.url, token);
      sockets.push(socket);
      return socket;
    };
    try {
      const [alice, bob, carol] = await Promise.all(
        ['alice', 'bob', 'carol'].map((p) => registerUser(new Api(app.url), p)),
      );
      const bobSocket = await connect(bob.accessToken);
      const carolSocket = await connect(carol.accessToken);
      const aliceSocket = await connect(alice.accessToken);
      const acks: { event: string; ack: unknown }[] = [];
      const emit = async (event: 'message:send' | 'message:read' | 'typing', payload: unknown) => {
        const ack = await aliceSocket.emitAck(event, payload);
        acks.push({ event, ack });
        return ack;
      };

      const direct = (await alice.api.post('/chats/direct', { userId: bob.id })).body;
      await bobSocket.waitFor('chat:new');
      const sent = await emit('message:send', { chatId: direct.id, text: 'hello', clientMsgId: 'docs-1' });
      expect(sent.ok).toBe(true);
      await emit('message:send', { chatId: direct.id, text: 'other text', clientMsgId: 'docs-1' }); // 409
      await emit('message:send', { chatId: 'nope', text: '', clientMsgId: '!' }); // validation
      await bobSocket.waitFor('message:new');
      await bob.api.post(`/chats/${direct.id}/read`, { seq: sent.data.seq });
      await aliceSocket.waitFor('receipt');
      await emit('message:read', { chatId: direct.id, seq: 1 });
      await emit('typing', { chatId: direct.id, isTyping: true });
      await bobSocket.waitFor('typing');
      await alice.api.patch(`/messages/${sent.data.id}`, { text: 'hello again' });
      await bobSocket.waitFor('message:updated');
      await alice.api.delete(`/messages/${sent.data.id}`);
      await bobSocket.waitFor('message:deleted');

      const group = (await alice.api.post('/groups', { name: 'Docs', memberIds: [bob.id] })).body;
      await alice.api.post(`/groups/${group.id}/members`, { userIds: [carol.id] });
      await carolSocket.waitFor('chat:new');
      await bobSocket.waitFor('chat:updated');
      await alice.api.delete(`/groups/${group.id}/members/${carol.id}`);
      await carolSocket.waitFor('chat:removed');
      await carolSocket.waitFor('message:new', (m) => m.type === 'system');

      // presence: Bob comes online for Alice (they share chats), then goes offline.
      const bobAgain = await connect(bob.accessToken);
      bobSocket.close();
      bobAgain.close();
      await aliceSocket.waitFor('presence', (p) => p.userId === bob.id && !p.online);
      // session:ended: Carol logs out.
      await carol.api.post('/auth/logout');
      await carolSocket.waitFor('session:ended');

      const problems: string[] = [];
      const channels = asyncApi.channels;
      const received = sockets.flatMap((s) => s.events);
      const seen = new Set(received.map((e) => e.event));
      for (const { event, payload } of received) {
        const schema = channels[event]?.subscribe?.message?.payload;
        if (!schema) problems.push(`${event}: not a server event in the AsyncAPI document`);
        else problems.push(...schemaProblems(payload, schema, asyncApi, event));
      }
      for (const { event, ack } of acks)
        problems.push(
          ...schemaProblems(ack, channels[event].publish.message['x-ack'].payload, asyncApi, `${event} ack`),
        );
      expect(problems).toEqual([]);
      // Events not produced here: telegram:linked (the worker's), server:shutdown (a shutdown).
      expect(sorted(seen)).toEqual(
        sorted([
          'chat:new',
          'chat:updated',
          'chat:removed',
          'message:new',
          'message:updated',
          'message:deleted',
          'receipt',
          'typing',
          'presence',
          'session:ended',
        ]),
      );
      expect(acks.map((a) => (a.ack as { ok: boolean }).ok)).toEqual([true, false, false, true, true]);
    } finally {
      sockets.forEach((s) => s.close());
    }
  });

  it('server:shutdown, as a draining instance sends it, fits its schema', async () => {
    const doomed = await startApp({ SHUTDOWN_DRAIN_MS: '200' });
    const user = await registerUser(new Api(doomed.url), 'shut');
    const socket = await connectSocket(doomed.url, user.accessToken);
    try {
      const closing = doomed.close();
      const payload = await socket.waitFor('server:shutdown');
      await closing;
      const schema = asyncApi.channels['server:shutdown'].subscribe.message.payload;
      expect(schemaProblems(payload, schema, asyncApi)).toEqual([]);
    } finally {
      socket.close();
    }
  });
});

describe('DOCS_ENABLED=false', () => {
  let app: RunningApp;
  beforeAll(async () => (app = await startApp({ DOCS_ENABLED: 'false' })));
  afterAll(() => app?.close());

  it('serves no AsyncAPI document either', async () => {
    expect((await fetch(`${app.url}/docs/asyncapi`)).status).toBe(404);
  });
});
