import Redis from 'ioredis';
import { Client } from 'pg';
import { adminDatabaseUrl, testRedisUrl } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.TEST_DATABASE_NAME;
  if (name) {
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
  const redis = new Redis(testRedisUrl());
  await redis.flushdb();
  await redis.quit();
}
