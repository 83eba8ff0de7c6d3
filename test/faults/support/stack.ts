import { existsSync } from 'fs';
import { join } from 'path';
import { Client } from 'pg';
import { testEnv } from '../../support/app';
import { FakeTelegram } from '../../support/fake-telegram';
import { Api, registerUser, TestUser } from '../../support/http';
import { freePort } from '../../support/processes';
import { ManagedProcess } from './managed-process';
import { PgCluster } from './pg-cluster';
import { ProbeLoop } from './probes';
import { RedisServer } from './redis-server';

const DIST = join(__dirname, '..', '..', '..', 'dist');
export const TELEGRAM_BOT_TOKEN = '123456:FAULT-test-token';

export interface StackOptions {
  apis: number;
  worker?: boolean;
  /** A fake Bot API and TELEGRAM_BOT_TOKEN (TELEGRAM_BOT_USERNAME unset: the worker takes it from getMe). */
  telegram?: boolean;
  redisAof?: boolean;
  env?: Record<string, string>;
}

export interface Pair {
  index: number;
  sender: TestUser;
  receiver: TestUser;
  chatId: string;
}

/** One API process (`node dist/main.js`) on a port of its own. */
export class ApiInstance {
  constructor(
    readonly name: string,
    readonly port: number,
    readonly proc: ManagedProcess,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get api(): Api {
    return new Api(this.url);
  }
}

/**
 * The whole system on private infrastructure: a PostgreSQL cluster and a Redis of its own, migrated by
 * `node dist/cli/prepare-db.js`, N API processes, optionally the worker and a fake Telegram Bot API.
 * close() ends all of it, whatever state a fault left it in.
 */
export class FaultStack {
  readonly apis: ApiInstance[] = [];
  worker?: ManagedProcess;
  fake?: FakeTelegram;
  env: Record<string, string> = {};
  private workers = 0;

  private constructor(
    readonly pg: PgCluster,
    readonly redis: RedisServer,
  ) {}

  static async start(options: StackOptions): Promise<FaultStack> {
    for (const entry of ['main.js', 'worker.js', 'cli/prepare-db.js'])
      if (!existsSync(join(DIST, entry)))
        throw new Error(`dist/${entry} is missing: run \`npm run build\` (npm run test:faults builds first)`);
    const [pg, redis] = await Promise.all([
      PgCluster.create(),
      RedisServer.start({ aof: options.redisAof ?? false }),
    ]);
    const stack = new FaultStack(pg, redis);
    try {
      if (options.telegram) stack.fake = await FakeTelegram.start();
      stack.env = testEnv({
        DATABASE_URL: pg.url('messenger'),
        REDIS_URL: redis.url(0),
        LOG_LEVEL: 'warn',
        ...(stack.fake ? { TELEGRAM_BOT_TOKEN, TELEGRAM_API_ROOT: stack.fake.url } : {}),
        ...options.env,
      });
      await stack.prepareDb();
      await Promise.all(Array.from({ length: options.apis }, (_, i) => stack.startApi(`api${i}`)));
      if (options.worker) await stack.startWorker();
      return stack;
    } catch (err) {
      await stack.close();
      throw err;
    }
  }

  async startApi(name: string, env: Record<string, string> = {}): Promise<ApiInstance> {
    const port = await freePort();
    const proc = ManagedProcess.spawn(name, process.execPath, [join(DIST, 'main.js')], {
      ...this.env,
      ...env,
      PORT: String(port),
    });
    const instance = new ApiInstance(name, port, proc);
    const existing = this.apis.findIndex((a) => a.name === name);
    if (existing >= 0) this.apis[existing] = instance;
    else this.apis.push(instance);
    await waitForReady(instance);
    return instance;
  }

  api(name: string): ApiInstance {
    const found = this.apis.find((a) => a.name === name);
    if (!found) throw new Error(`no API instance ${name}`);
    return found;
  }

  async startWorker(): Promise<ManagedProcess> {
    this.workers += 1;
    const worker = ManagedProcess.spawn(
      `worker${this.workers}`,
      process.execPath,
      [join(DIST, 'worker.js')],
      {
        ...this.env,
        LOG_LEVEL: 'info',
      },
    );
    this.worker = worker;
    await worker.waitForOutput('Worker started', 30_000);
    if (this.fake) await worker.waitForOutput('polling Telegram', 30_000);
    return worker;
  }

  /** A fresh connection per call: the cluster may have been restarted since the last one. */
  async query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({
      connectionString: this.pg.url('messenger'),
      connectionTimeoutMillis: 10_000,
    });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async register(prefix: string, via = this.apis[0]): Promise<TestUser> {
    return registerUser(via.api, prefix);
  }

  /** `count` sender/receiver users, each pair with its direct chat. */
  async pairs(count: number, tag: string): Promise<Pair[]> {
    const pairs: Pair[] = [];
    for (let start = 0; start < count; start += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, count - start) }, async (_, k) => {
          const index = start + k;
          const [sender, receiver] = await Promise.all([
            this.register(`${tag}s${index}x`),
            this.register(`${tag}r${index}x`),
          ]);
          const chat = await sender.api.post('/chats/direct', { userId: receiver.id });
          if (chat.status !== 201)
            throw new Error(`direct chat: ${chat.status} ${JSON.stringify(chat.body)}`);
          return { index, sender, receiver, chatId: chat.body.id as string };
        }),
      );
      pairs.push(...batch);
    }
    return pairs;
  }

  /** Output of every process, for a failing test's message. */
  logs(chars = 3000): string {
    const procs = [...this.apis.map((a) => a.proc), ...(this.worker ? [this.worker] : [])];
    return procs
      .map((p) => `--- ${p.name} (${JSON.stringify(p.exit ?? 'running')}):\n${p.tail(chars)}`)
      .join('\n');
  }

  async close(): Promise<void> {
    const steps: (() => Promise<unknown>)[] = [
      () => ProbeLoop.stopAll(),
      ...this.apis.map((a) => () => a.proc.kill()),
      () => this.worker?.kill() ?? Promise.resolve(),
      () => this.fake?.stop() ?? Promise.resolve(),
      () => this.redis.stop(),
      async () => this.pg.resume(),
      () => this.pg.drop(),
    ];
    const errors: unknown[] = [];
    for (const step of steps) await step().catch((err: unknown) => errors.push(err));
    if (errors.length) throw new Error(`cleanup: ${errors.map(String).join('; ')}`);
  }

  private async prepareDb(): Promise<void> {
    const proc = ManagedProcess.spawn(
      'prepare-db',
      process.execPath,
      [join(DIST, 'cli', 'prepare-db.js')],
      this.env,
    );
    const exit = await proc.exited;
    if (exit.code !== 0) throw new Error(`prepare-db failed (${JSON.stringify(exit)}):\n${proc.output}`);
  }
}

export async function waitForReady(instance: ApiInstance, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!instance.proc.running)
      throw new Error(
        `${instance.name} exited (${JSON.stringify(instance.proc.exit)}):\n${instance.proc.tail()}`,
      );
    try {
      const res = await fetch(`${instance.url}/api/health/ready`, { signal: AbortSignal.timeout(3000) });
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${instance.name} was not ready within ${timeoutMs} ms:\n${instance.proc.tail()}`);
}

/** Waits until every running API instance reports ready again (after a dependency came back). */
export async function waitForAllReady(stack: FaultStack, timeoutMs = 30_000): Promise<number> {
  await Promise.all(stack.apis.filter((a) => a.proc.running).map((a) => waitForReady(a, timeoutMs)));
  return Date.now();
}

/**
 * A suite's stack: started before its tests, closed after them. The getter is for tests and hooks that run
 * once it has started; `ifStarted()` for clean-up that must also cope with a failed start.
 */
export function useFaultStack(
  options: StackOptions,
): (() => FaultStack) & { ifStarted(): FaultStack | undefined } {
  let stack: FaultStack | undefined;
  beforeAll(async () => {
    stack = await FaultStack.start(options);
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  }, 60_000);
  return Object.assign(() => stack!, { ifStarted: () => stack });
}
