import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { Api } from './http';
import { connectSocket, TestSocket } from './sockets';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-tests-0123456789';

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_DATABASE_URL!,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_ROUNDS: '4',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Most tests register many users from one IP; the throttling tests lower these on their own instance.
    THROTTLE_AUTH_PER_MINUTE: '100000',
    THROTTLE_SEND_PER_10S: '100000',
    // Workers of parallel test runs must not fight over the default metrics port.
    METRICS_PORT: '0',
    ...overrides,
  };
}

export interface RunningApp {
  app: NestExpressApplication;
  config: AppConfig;
  url: string;
  close(): Promise<void>;
}

/** Boots one real API instance on a free port of 127.0.0.1 (call twice for two instances). */
export async function startApp(overrides: Record<string, string> = {}): Promise<RunningApp> {
  const config = loadConfig(testEnv(overrides));
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, config, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** Two real API instances on one database and Redis, with the hooks that start and stop them (and sockets). */
export interface TwoInstances {
  a: RunningApp;
  b: RunningApp;
  apiA: Api;
  apiB: Api;
  /** A socket of `user` on `app`, closed after the test. */
  connect(app: RunningApp, user: { accessToken: string }): Promise<TestSocket>;
}

/** Call at the top of a describe(): registers beforeAll/afterEach/afterAll and returns the (filled-in) instances. */
export function twoInstances(overrides: Record<string, string> = {}): TwoInstances {
  const sockets: TestSocket[] = [];
  const env = {
    connect: async (app: RunningApp, user: { accessToken: string }) => {
      const socket = await connectSocket(app.url, user.accessToken);
      sockets.push(socket);
      return socket;
    },
  } as TwoInstances;
  beforeAll(async () => {
    [env.a, env.b] = await Promise.all([startApp(overrides), startApp(overrides)]);
    env.apiA = new Api(env.a.url);
    env.apiB = new Api(env.b.url);
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await Promise.all([env.a?.close(), env.b?.close()]);
  });
  return env;
}
