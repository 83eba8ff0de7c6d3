// A database of a benchmark tool's own, on the PostgreSQL that DATABASE_URL names: made fresh and migrated
// (dist/cli/prepare-db.js, as the app's start does), dropped at the end. Needs `npm run build` first.
const { execFileSync } = require('child_process');
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

module.exports = { scratchDatabase };
