import { spawnSync } from 'child_process';
import { join } from 'path';
import { io } from 'socket.io-client';
import { testEnv } from './support/app';
import { Api, registerUser } from './support/http';
import { accessLog, NGINX, nginxTest, startNginx, writeNginxConfig } from './support/nginx';
import { freePort, Proc, waitForHttp } from './support/processes';
import { connectSocket, TestSocket } from './support/sockets';

const ROOT = join(__dirname, '..');

const apiMessages = async (user: { api: Api }, chatId: string) =>
  ((await user.api.get(`/history/${chatId}?afterSeq=0&limit=100`)).body.items as { text: string }[]).map(
    (m) => m.text,
  );

describe('through the real Nginx, in front of two API instances started by scripts/start.sh', () => {
  let apis: Proc[] = [];
  let nginx: Proc;
  let base: string;
  let dir: string;
  let apiPorts: number[];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    apiPorts = [await freePort(), await freePort()];
    // The container's start-up script: prepare the database (wait, migrate), then start the API.
    apis = apiPorts.map((port) =>
      Proc.spawn(
        'bash',
        [join(ROOT, 'scripts', 'start.sh'), 'api'],
        { ...process.env, ...testEnv({ PORT: String(port), TRUST_PROXY: 'loopback' }) },
        ROOT,
      ),
    );
    await Promise.all(
      apiPorts.map((port, i) => waitForHttp(`http://127.0.0.1:${port}/api/health/ready`, apis[i])),
    );
    const nginxPort = await freePort();
    const config = writeNginxConfig(nginxPort, apiPorts);
    dir = config.dir;
    expect(nginxTest(config.conf, dir)).toBe('');
    nginx = startNginx(config.conf, dir);
    base = `http://127.0.0.1:${nginxPort}`;
    await waitForHttp(`${base}/api/health`, nginx);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await nginx?.stop('SIGQUIT');
    await Promise.all(apis.map((p) => p.stop()));
  });

  it('nginx -t accepts the shipped config', () => {
    const result = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/syntax is ok/);
  });

  it('proxies REST and Swagger, balancing over both instances, and passes the client address on', async () => {
    const api = new Api(base);
    const user = await registerUser(api, 'viaproxy');
    expect((await user.api.get('/users/me')).body.username).toBe(user.username);
    for (let i = 0; i < 4; i++) expect((await api.get('/health')).status).toBe(200);
    const upstreams = new Set(
      [...accessLog(dir).matchAll(/"GET \/api\/health HTTP[^"]*" 200 upstream=(\S+)/g)].map((m) => m[1]),
    );
    expect(upstreams).toEqual(new Set(apiPorts.map((p) => `127.0.0.1:${p}`)));

    const sessions = (await user.api.get('/auth/sessions')).body;
    expect(sessions[0].ip).toBe('127.0.0.1'); // from X-Forwarded-For: TRUST_PROXY names Nginx (here on loopback)

    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    expect(((await (await fetch(`${base}/docs-json`)).json()) as { openapi: string }).openapi).toMatch(
      /^3\./,
    );
  });

  it('serves the client with caching headers and gzip, and answers oversized bodies with the JSON 413', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Messenger</title>');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const script = await fetch(`${base}/js/main.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-encoding')).toBe('gzip');
    expect(script.headers.get('cache-control')).toContain('max-age=3600');
    expect(script.headers.get('etag')).toBeTruthy();
    expect((await fetch(`${base}/socket.io/socket.io.js`)).status).toBe(200);

    const big = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'x', password: 'y'.repeat(70 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('carries Socket.IO between two clients that land on different instances, and long-polling sticks', async () => {
    const api = new Api(base);
    const alice = await registerUser(api, 'alice');
    const bob = await registerUser(api, 'bob');
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const before = accessLog(dir).length;
    const aliceSocket = await connectSocket(base, alice.accessToken);
    const bobSocket = await connectSocket(base, bob.accessToken);
    sockets.push(aliceSocket, bobSocket);
    const ack = await aliceSocket.emitAck('message:send', {
      chatId,
      text: 'through nginx',
      clientMsgId: 'ngx-1',
    });
    expect(ack.ok).toBe(true);
    expect((await bobSocket.waitFor('message:new')).text).toBe('through nginx');

    // Nginx logs a WebSocket when it closes: then the two upgrades show which instance each client had.
    aliceSocket.close();
    bobSocket.close();
    const deadline = Date.now() + 5000;
    let landed: string[] = [];
    while (Date.now() < deadline && landed.length < 2) {
      await new Promise((r) => setTimeout(r, 100));
      landed = [
        ...accessLog(dir)
          .slice(before)
          .matchAll(/"GET \/socket\.io\/\?[^"]*transport=websocket[^"]*" 101 upstream=(\S+)/g),
      ].map((m) => m[1]);
    }
    expect(landed).toHaveLength(2);
    expect(new Set(landed).size).toBe(2);

    // The polling transport (no WebSocket): every request of the session must reach the same instance.
    const polling = io(base, {
      path: '/socket.io',
      auth: { token: bob.accessToken },
      transports: ['polling'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      polling.once('connect', resolve);
      polling.once('connect_error', reject);
    });
    try {
      for (let i = 0; i < 5; i++) {
        const reply = await polling
          .timeout(5000)
          .emitWithAck('message:send', { chatId, text: `poll ${i}`, clientMsgId: `ngx-poll-${i}` });
        expect(reply.ok).toBe(true);
      }
      expect(await apiMessages(alice, chatId)).toContain('poll 4');
      const pollUpstreams = new Set(
        [
          ...accessLog(dir).matchAll(
            /"(?:GET|POST) \/socket\.io\/\?[^"]*transport=polling[^"]*" 200 upstream=(\S+)/g,
          ),
        ].map((m) => m[1]),
      );
      expect(pollUpstreams.size).toBe(1);
    } finally {
      polling.close();
    }
  });
});
