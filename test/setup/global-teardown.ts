import Redis from 'ioredis';
import { Client } from 'pg';
import { adminDatabaseUrl, releaseRedisDb } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.TEST_DATABASE_NAME;
  if (name) {
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
  const redisUrl = process.env.TEST_REDIS_URL;
  if (redisUrl && name) {
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    await redis.quit();
    await releaseRedisDb(redisUrl, name);
  }
}
