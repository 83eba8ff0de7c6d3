import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { typeormOptions } from './typeorm-options';

/**
 * Waits for PostgreSQL, creates the database when it is missing, and runs pending migrations.
 * Used by scripts/start.sh, so local runs and the container start the same way.
 */
const MIGRATION_LOCK = 7_231_001;

export async function prepareDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';

  const deadline = Date.now() + Number(process.env.DB_WAIT_SECONDS ?? 60) * 1000;
  for (;;) {
    const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
        console.log(`Created database ${name}`);
      }
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      // 42P04: created concurrently by another instance starting at the same time.
      if ((err as { code?: string }).code === '42P04') break;
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL at ${admin.host} is unreachable: ${(err as Error).message}`);
      console.log(`Waiting for PostgreSQL at ${admin.host}...`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  // Two API instances starting together must not both apply the same migration: hold an advisory lock.
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  const dataSource = new DataSource({ ...typeormOptions(databaseUrl), logging: false });
  try {
    await dataSource.initialize();
    // An incomplete build (dist/migrations missing) must not pass for "up to date".
    if (dataSource.migrations.length === 0)
      throw new Error(
        `No migrations found (${JSON.stringify(dataSource.options.migrations)}): is the build complete?`,
      );
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    console.log(
      ran.length
        ? `Applied migrations: ${ran.map((m) => m.name).join(', ')}`
        : 'Database schema is up to date',
    );
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
  await dataSource.destroy();
}
