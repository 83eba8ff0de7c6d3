/** Where the test run's own database and Redis live; never the development database. */
export const TEST_REDIS_DB = Number(process.env.TEST_REDIS_DB ?? 15);

export function baseDatabaseUrl(): URL {
  return new URL(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@localhost:5432/messenger');
}

export function testRedisUrl(): string {
  const url = new URL(process.env.REDIS_URL ?? 'redis://localhost:6379');
  url.pathname = `/${TEST_REDIS_DB}`;
  return url.toString();
}

export function adminDatabaseUrl(): string {
  const url = baseDatabaseUrl();
  url.pathname = '/postgres';
  return url.toString();
}
