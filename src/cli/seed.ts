import 'reflect-metadata';
import * as bcrypt from 'bcrypt';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { typeormOptions } from '../database/typeorm-options';

/** Demo accounts; the passwords are documented in the README. */
export const DEMO_USERS = [
  { username: 'alice', displayName: 'Alice', password: 'alice-password' },
  { username: 'bob', displayName: 'Bob', password: 'bob-password' },
  { username: 'carol', displayName: 'Carol', password: 'carol-password' },
];

/** Idempotent: running it again changes nothing. */
export async function seed(dataSource: DataSource, bcryptRounds: number): Promise<void> {
  for (const u of DEMO_USERS) {
    const hash = await bcrypt.hash(u.password, bcryptRounds);
    await dataSource.query(
      `INSERT INTO users (email, username, display_name, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [`${u.username}@example.com`, u.username, u.displayName, hash],
    );
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = new DataSource({ ...typeormOptions(config.databaseUrl), logging: false });
  await dataSource.initialize();
  try {
    await seed(dataSource, config.bcryptRounds);
    console.log(`Seeded demo users: ${DEMO_USERS.map((u) => `${u.username} / ${u.password}`).join(', ')}`);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
