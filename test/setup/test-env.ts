import Redis from 'ioredis';

/**
 * Where the test run's own database and Redis live; never the development database. Each run claims a
 * Redis database of its own (14 down to 8) through a lock in database 15, so two runs on one machine
 * (a developer's and CI's, say) never flush each other's keys.
 */
const REGISTRY_DB = 15;
const RUN_DBS = [14, 13, 12, 11, 10, 9, 8];

function redisUrl(db: number): string {
  const url = new URL(process.env.REDIS_URL ?? 'redis://localhost:6379');
  url.pathname = `/${db}`;
  return url.toString();
}

export async function claimRedisDb(runName: string): Promise<string> {
  if (process.env.TEST_REDIS_DB) return redisUrl(Number(process.env.TEST_REDIS_DB));
  const registry = new Redis(redisUrl(REGISTRY_DB));
  try {
    for (const db of RUN_DBS) {
      if ((await registry.set(`messenger-test-run:${db}`, runName, 'EX', 3600, 'NX')) === 'OK')
        return redisUrl(db);
    }
  } finally {
    await registry.quit();
  }
  throw new Error('All test Redis databases (8-14) are claimed by other runs; wait, or set TEST_REDIS_DB');
}

export async function releaseRedisDb(url: string, runName: string): Promise<void> {
  const db = Number(new URL(url).pathname.slice(1));
  const registry = new Redis(redisUrl(REGISTRY_DB));
  try {
    if ((await registry.get(`messenger-test-run:${db}`)) === runName)
      await registry.del(`messenger-test-run:${db}`);
  } finally {
    await registry.quit();
  }
}

export function baseDatabaseUrl(): URL {
  return new URL(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@localhost:5432/messenger');
}

export function adminDatabaseUrl(): string {
  const url = baseDatabaseUrl();
  url.pathname = '/postgres';
  return url.toString();
}
