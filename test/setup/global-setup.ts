import 'reflect-metadata';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { typeormOptions } from '../../src/database/typeorm-options';
import { adminDatabaseUrl, baseDatabaseUrl, claimRedisDb } from './test-env';

/** Creates a fresh database for this run, migrates it, and claims and empties a Redis database for it. */
export default async function globalSetup(): Promise<void> {
  const name = `messenger_test_${Date.now()}_${process.pid}`;
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const url = baseDatabaseUrl();
  url.pathname = `/${name}`;
  const dataSource = new DataSource({ ...typeormOptions(url.toString()), logging: false });
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();

  const redisUrl = await claimRedisDb(name);
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  await redis.quit();

  process.env.TEST_DATABASE_URL = url.toString();
  process.env.TEST_REDIS_URL = redisUrl;
  process.env.TEST_DATABASE_NAME = name;
}
