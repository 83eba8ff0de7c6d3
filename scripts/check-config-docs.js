#!/usr/bin/env node
// The README's configuration table must name every variable the code and the scripts read, and nothing else:
// variables read in src/ (config parsing and process.env), those in .env.example, and those the run scripts
// and compose file take. Exits non-zero naming what is missing on either side.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');
const walk = (dir) =>
  fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return walk(rel);
    return /\.ts$/.test(e.name) && !/\.spec\.ts$/.test(e.name) ? [rel] : [];
  });

// The shell's own, not settings.
const IGNORED = new Set(['TMPDIR', 'HOME', 'PATH']);
const readByCode = new Map(); // variable -> where it is read
const note = (name, where) => IGNORED.has(name) || readByCode.has(name) || readByCode.set(name, where);
for (const file of walk('src')) {
  const text = read(file);
  // app-config.ts's readers: int(env, 'PORT', ...), str(env, 'X'), read(env, 'X'), ...
  for (const m of text.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'/g)) note(m[1], file);
  for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)) note(m[1], file);
}
for (const m of read('.env.example').matchAll(/^([A-Z][A-Z0-9_]+)=/gm)) note(m[1], '.env.example');
for (const file of ['scripts/dev.sh', 'scripts/start.sh', 'docker-compose.yml'])
  // Only variables given a default there (${NAME:-...}): those are settings, not the script's own locals.
  for (const m of read(file).matchAll(/\$\{([A-Z][A-Z0-9_]+):-/g)) note(m[1], file);

const readme = read('README.md');
const section = readme.slice(readme.indexOf('\n## Configuration'));
const table = section.slice(0, section.indexOf('\n## ', 1));
const documented = new Set();
for (const line of table.split('\n').filter((l) => l.startsWith('|')))
  for (const m of line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)) documented.add(m[1]);

const missing = [...readByCode].filter(([name]) => !documented.has(name));
const stale = [...documented].filter((name) => !readByCode.has(name));
for (const [name, where] of missing)
  console.error(`README configuration table lacks ${name} (read in ${where})`);
for (const name of stale) console.error(`README configuration table lists ${name}, which nothing reads`);
if (missing.length || stale.length) process.exit(1);
console.log(`ok: ${documented.size} variables, all documented`);
