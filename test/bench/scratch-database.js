// A database of a benchmark tool's own, on the PostgreSQL that DATABASE_URL names: made fresh and migrated
// (dist/cli/prepare-db.js, as the app's start does), dropped at the end. Needs `npm run build` first.
const { execFileSync } = require('child_process');
const { randomUUID } = require('crypto');
const { join } = require('path');
const { Client } = require('pg');

function scratchDatabase(name) {
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@localhost:5432/messenger');
  const urlOf = (db) => Object.assign(new URL(base), { pathname: `/${db}` }).toString();
  const admin = async (sql) => {
    const c = new Client({ connectionString: urlOf('postgres') });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const drop = () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  return {
    url: urlOf(name),
    async create() {
      await drop();
      await admin(`CREATE DATABASE "${name}"`);
      execFileSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli', 'prepare-db.js')], {
        env: { ...process.env, DATABASE_URL: urlOf(name) },
        stdio: 'ignore',
      });
    },
    drop,
  };
}

/** Fills a migrated database (a connected pg Client) with 2 * n users in n direct chats; returns the chats. */
async function directChats(db, n) {
  const users = Array.from({ length: 2 * n }, () => randomUUID());
  await db.query(
    `INSERT INTO users (id, email, username, display_name, password_hash)
     SELECT id, id || '@example.test', left(replace(id::text, '-', ''), 32), 'User', 'x' FROM unnest($1::uuid[]) id`,
    [users],
  );
  const chats = Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    a: users[2 * i],
    b: users[2 * i + 1],
  }));
  await db.query(`INSERT INTO chats (id, type) SELECT unnest($1::uuid[]), 'direct'`, [
    chats.map((c) => c.id),
  ]);
  await db.query(`INSERT INTO chat_members (chat_id, user_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`, [
    chats.flatMap((c) => [c.id, c.id]),
    chats.flatMap((c) => [c.a, c.b]),
  ]);
  return chats;
}

module.exports = { scratchDatabase, directChats };
