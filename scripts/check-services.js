#!/usr/bin/env node
// Says exactly which of PostgreSQL and Redis is unreachable (exit 1), or nothing (exit 0).
const { Client } = require('pg');
const Redis = require('ioredis');

const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres:postgres@localhost:5432/messenger';
const redisUrl = process.env.REDIS_URL || 'redis://localhost:6379';

async function checkPostgres() {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return `PostgreSQL is not reachable at ${url.host} (DATABASE_URL): ${err.message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis() {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return `Redis is not reachable at ${new URL(redisUrl).host} (REDIS_URL): ${err.message}`;
  } finally {
    redis.disconnect();
  }
}

Promise.all([checkPostgres(), checkRedis()]).then((problems) => {
  const missing = problems.filter(Boolean);
  for (const p of missing) console.error(p);
  process.exit(missing.length ? 1 : 0);
});
