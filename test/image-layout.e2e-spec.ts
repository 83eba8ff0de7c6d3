import { execFileSync, spawnSync } from 'child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import { TEST_JWT_SECRET } from './support/app';
import { Api } from './support/http';
import { freePort, Proc, waitForHttp } from './support/processes';
import { adminDatabaseUrl, baseDatabaseUrl } from './setup/test-env';

const ROOT = join(__dirname, '..');

interface RuntimeStage {
  copies: { from?: string; sources: string[]; dest: string }[];
  env: Record<string, string>;
  healthcheck: string;
}

/** The runtime stage of docker/Dockerfile: its COPY lines, ENV and HEALTHCHECK command. */
function runtimeStage(): RuntimeStage {
  const text = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l) => /^FROM\s+\S+\s+AS\s+runtime$/i.test(l));
  if (start < 0) throw new Error('docker/Dockerfile has no "FROM ... AS runtime" stage');
  const stage: RuntimeStage = { copies: [], env: {}, healthcheck: '' };
  for (const line of lines.slice(start + 1)) {
    const [instruction, ...rest] = line.split(/\s+/);
    if (/^COPY$/i.test(instruction)) {
      const from = rest.find((a) => a.startsWith('--from='))?.slice('--from='.length);
      const paths = rest.filter((a) => !a.startsWith('--'));
      stage.copies.push({ from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] });
    } else if (/^ENV$/i.test(instruction)) {
      for (const pair of rest) {
        const [k, v] = pair.split('=');
        stage.env[k] = v;
      }
    } else if (/^HEALTHCHECK$/i.test(instruction)) {
      stage.healthcheck = line.slice(line.indexOf(' CMD ') + ' CMD '.length);
    }
  }
  return stage;
}

/**
 * Rebuilds the image's runtime layout in a temp dir from the Dockerfile's COPY lines: dist/ as built, the
 * production dependencies as the build stage leaves them (npm ci --omit=dev --ignore-scripts, from the
 * npm cache), and the files copied from the context. No src/, no dev dependencies, no ts-node.
 */
function buildLayout(stage: RuntimeStage): string {
  const dir = mkdtempSync(join(tmpdir(), 'messenger-image-'));
  for (const copy of stage.copies) {
    if (copy.from === 'build') {
      const [source] = copy.sources;
      if (source === '/app/dist') cpSync(join(ROOT, 'dist'), join(dir, copy.dest), { recursive: true });
      else if (source === '/app/node_modules') {
        cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
        cpSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
        const install = spawnSync(
          'npm',
          [
            'ci',
            '--omit=dev',
            '--ignore-scripts',
            '--offline',
            '--no-audit',
            '--no-fund',
            '--loglevel=error',
          ],
          { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
        );
        if (install.status !== 0)
          throw new Error(
            `npm ci --omit=dev failed (the npm cache is filled by \`npm ci\`):\n${install.stderr}`,
          );
        rmSync(join(dir, 'package-lock.json'));
      } else throw new Error(`the test does not know what the build stage has at ${source}`);
    } else if (copy.from === undefined) {
      for (const source of copy.sources) {
        const target = copy.dest.endsWith('/') ? join(dir, copy.dest, source) : join(dir, copy.dest);
        cpSync(join(ROOT, source), target, { recursive: true });
      }
    } else throw new Error(`COPY --from=${copy.from}: unknown stage`);
  }
  return dir;
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

describe("the Docker image's runtime layout (dist/, production node_modules, package.json; no src/)", () => {
  const stage = runtimeStage();
  const names = [`messenger_image_${process.pid}_seed`, `messenger_image_${process.pid}_start`];
  const urls = names.map((name) => {
    const url = baseDatabaseUrl();
    url.pathname = `/${name}`;
    return url.toString();
  });
  let dir: string;
  const procs: Proc[] = [];
  const env = (overrides: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...stage.env,
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: process.env.TEST_REDIS_URL,
    BCRYPT_ROUNDS: '4',
    LOG_LEVEL: 'info',
    ...overrides,
  });

  beforeAll(() => {
    dir = buildLayout(stage);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    for (const name of names) await dropDatabase(name);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has what the image has, and no sources or dev tools', () => {
    expect(stage.env.NODE_ENV).toBe('production');
    for (const path of [
      'dist/main.js',
      'dist/worker.js',
      'dist/cli/seed.js',
      'scripts/start.sh',
      'client/index.html',
    ])
      expect({ path, exists: existsSync(join(dir, path)) }).toEqual({ path, exists: true });
    // Dev tools stay out (ts-node does come along, as typeorm's optional peer, but nothing here runs it).
    for (const path of [
      'src',
      'node_modules/@nestjs/cli',
      'node_modules/jest',
      'node_modules/eslint',
      'node_modules/newman',
    ])
      expect({ path, exists: existsSync(join(dir, path)) }).toEqual({ path, exists: false });
  });

  it('`npm run seed` works there, and again (idempotent)', async () => {
    execFileSync('node', ['dist/cli/prepare-db.js'], { cwd: dir, env: env({ DATABASE_URL: urls[0] }) });
    for (let i = 0; i < 2; i++) {
      const seed = spawnSync('npm', ['run', '--silent', 'seed'], {
        cwd: dir,
        env: env({ DATABASE_URL: urls[0] }),
        encoding: 'utf8',
      });
      expect({ status: seed.status, output: seed.status ? seed.stdout + seed.stderr : '' }).toEqual({
        status: 0,
        output: '',
      });
      expect(seed.stdout).toContain('alice / alice-password');
    }
    const db = new Client({ connectionString: urls[0] });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT username FROM users WHERE username IN ('alice', 'bob', 'carol') ORDER BY username`,
      );
      expect(rows.map((r: { username: string }) => r.username)).toEqual(['alice', 'bob', 'carol']);
    } finally {
      await db.end();
    }
  });

  it('`start.sh api` with SEED_DEMO=true migrates a new database, seeds it and serves; HEALTHCHECK passes', async () => {
    const port = await freePort();
    const api = Proc.spawn(
      'bash',
      ['scripts/start.sh', 'api'],
      env({ DATABASE_URL: urls[1], PORT: String(port), SEED_DEMO: 'true' }),
      dir,
    );
    procs.push(api);
    await waitForHttp(`http://127.0.0.1:${port}/api/health`, api, 60_000);
    const login = await new Api(`http://127.0.0.1:${port}`).post('/auth/login', {
      login: 'alice',
      password: 'alice-password',
    });
    expect(login.status).toBe(200);

    expect(stage.healthcheck).toMatch(/^node /);
    const healthy = spawnSync('sh', ['-c', stage.healthcheck], {
      cwd: dir,
      env: env({ PORT: String(port) }),
    });
    expect(healthy.status).toBe(0);
    await api.stop();
    const unhealthy = spawnSync('sh', ['-c', stage.healthcheck], {
      cwd: dir,
      env: env({ PORT: String(port) }),
    });
    expect(unhealthy.status).toBe(1);
  }, 90_000);

  it('`start.sh worker` starts the worker', async () => {
    const metricsPort = await freePort();
    const worker = Proc.spawn(
      'bash',
      ['scripts/start.sh', 'worker'],
      env({ DATABASE_URL: urls[1], METRICS_PORT: String(metricsPort) }),
      dir,
    );
    procs.push(worker);
    const deadline = Date.now() + 30_000;
    const started = async () => {
      if (worker.output.includes('Worker started')) return true;
      return fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        (r) => r.ok,
        () => false,
      );
    };
    while (!(await started())) {
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output}`);
      if (Date.now() > deadline) throw new Error(`worker did not start:\n${worker.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(worker.child.exitCode).toBeNull();
  });
});
