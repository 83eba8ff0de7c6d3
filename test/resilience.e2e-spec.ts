import { join } from 'path';
import { Logger } from '@nestjs/common';
import { startApp, testEnv } from './support/app';
import { EventBus } from '../src/common/events';
import { Metrics } from '../src/common/metrics';
import type { MessageDto } from '../src/messages/dto/message.dto';
import { REDIS_COMMAND_TIMEOUT_MS } from '../src/redis/redis.module';
import { CuttableProxy } from './support/cuttable-proxy';
import { Api, registerUser } from './support/http';
import { freePort, Proc, waitForHttp } from './support/processes';
import { connectSocket } from './support/sockets';
import { createServer } from 'http';
import { Server } from 'socket.io';
import { createRedisAdapter } from '../src/realtime/redis-adapter';

const ENTRY = join(__dirname, '..', 'dist', 'main.js');

describe('the API process (dist/main.js) under signals and a Redis outage', () => {
  it('shuts down gracefully on SIGTERM while messages are flowing, without crashing', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = Proc.spawn(process.execPath, [ENTRY], { ...process.env, ...testEnv({ PORT: String(port) }) });
    await waitForHttp(`${base}/api/health`, api);
    const alice = await registerUser(new Api(base), 'alice');
    const bob = await registerUser(new Api(base), 'bob');
    const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
    const sockets = await Promise.all([
      connectSocket(base, alice.accessToken),
      connectSocket(base, bob.accessToken),
    ]);
    let n = 0;
    const flood = setInterval(
      () => sockets[0].raw.emit('message:send', { chatId, text: `x${n}`, clientMsgId: `flood-${n++}` }),
      2,
    );
    // Let traffic flow first: bob has received some of the flood.
    await sockets[1].waitFor('message:new', () => sockets[1].received('message:new').length >= 10, 10000);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      api.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    api.child.kill('SIGTERM');
    const result = await exited;
    clearInterval(flood);
    sockets.forEach((s) => s.close());
    expect(n).toBeGreaterThan(20);
    // Nest runs its shutdown hooks, then re-raises the signal: ended by SIGTERM (or 0), never a crash (code 1).
    expect(result.code === 0 || result.signal === 'SIGTERM').toBe(true);
    expect(api.output).not.toMatch(/Unhandled rejection|Connection is closed/);
  });

  it('survives Redis dropping every connection mid-traffic, and recovers when it returns', async () => {
    const { proxy, url: viaProxy } = await CuttableProxy.forService(process.env.TEST_REDIS_URL!, 6379);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = Proc.spawn(process.execPath, [ENTRY], {
      ...process.env,
      ...testEnv({ PORT: String(port), REDIS_URL: viaProxy }),
    });
    try {
      await waitForHttp(`${base}/api/health/ready`, api);
      const alice = await registerUser(new Api(base), 'alice');
      const bob = await registerUser(new Api(base), 'bob');
      const chatId = (await alice.api.post('/chats/direct', { userId: bob.id })).body.id;
      const bobSocket = await connectSocket(base, bob.accessToken);
      const sending = Array.from({ length: 20 }, (_, i) =>
        alice.api
          .post(`/chats/${chatId}/messages`, { text: `m${i}`, clientMsgId: `outage-${i}` })
          .catch(() => null),
      );
      await proxy.cut(); // while those are in flight
      await Promise.all(sending);
      expect((await fetch(`${base}/api/health/ready`)).status).toBe(503);
      expect(api.child.exitCode).toBeNull();

      await proxy.open();
      await waitForHttp(`${base}/api/health/ready`, api);
      // Retrying with the same clientMsgIds stores each message exactly once, outage or not.
      for (let i = 0; i < 20; i++) {
        const res = await alice.api.post(`/chats/${chatId}/messages`, {
          text: `m${i}`,
          clientMsgId: `outage-${i}`,
        });
        expect([200, 201]).toContain(res.status);
      }
      const history = (await bob.api.get(`/history/${chatId}?limit=100`)).body.items;
      expect(history.map((m: { clientMsgId: string }) => m.clientMsgId).sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => `outage-${i}`).sort(),
      );
      expect(history.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      bobSocket.close();
      expect(api.child.exitCode).toBeNull();
      expect(api.output).not.toMatch(/Unhandled error event/);
    } finally {
      await api.stop();
      await proxy.cut();
    }
  });
});

describe('an API instance while Redis stalls past the command timeout', () => {
  // Jest fails a test on an unhandled rejection: without the handler this test reports three of them.
  it('counts and logs the broadcasts that could not be published, none as an unhandled rejection', async () => {
    const { proxy, url: viaProxy } = await CuttableProxy.forService(process.env.TEST_REDIS_URL!, 6379);
    const app = await startApp({ REDIS_URL: viaProxy });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const bob = await registerUser(new Api(app.url), 'bob');
      const events = app.app.get(EventBus);
      const message = { id: crypto.randomUUID(), chatId: crypto.randomUUID() } as MessageDto;
      proxy.stall();
      // Three broadcasts through the Socket.IO adapter, which drops the promise of its PUBLISH.
      for (let i = 0; i < 3; i++) events.emit('message.updated', { message, recipientIds: [bob.id] });
      await new Promise((resolve) => setTimeout(resolve, REDIS_COMMAND_TIMEOUT_MS + 1500));
      proxy.resume();
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(
        expect.stringMatching(
          /^3 Socket\.IO publications failed within 1000 ms \(last: Error: Command timed out\)$/,
        ),
      );
      expect(
        await app.app.get(Metrics).registry.getSingleMetricAsString('socketio_publish_failures_total'),
      ).toMatch(/^socketio_publish_failures_total 3$/m);
    } finally {
      warn.mockRestore();
      proxy.resume();
      await app.close();
      await proxy.cut();
    }
  });
});

describe('the Socket.IO adapter while Redis is away', () => {
  // Jest fails a test on an unhandled rejection: the adapter drops its (un)subscribe promises.
  it('closing it (SIGTERM during an outage) logs the failed unsubscriptions, none as an unhandled rejection', async () => {
    const { proxy, url: viaProxy } = await CuttableProxy.forService(process.env.TEST_REDIS_URL!, 6379);
    const redis = createRedisAdapter(viaProxy, 'close-test', () => undefined);
    const server = new Server(createServer());
    server.adapter(redis.adapter);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      await redis.sub.subscribe('ready-check'); // connected and subscribed
      proxy.stall();
      await server.close();
      await new Promise((resolve) => setTimeout(resolve, REDIS_COMMAND_TIMEOUT_MS + 500));
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(
        expect.stringMatching(/^Socket\.IO p?unsubscribe failed: Error: Command timed out$/),
      );
    } finally {
      warn.mockRestore();
      proxy.resume();
      await redis.close();
      await proxy.cut();
    }
  });
});
