import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';

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
