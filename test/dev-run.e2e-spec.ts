import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'fs';
import { createServer, Socket } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import { Api } from './support/http';
import { freePort } from './support/processes';
import { adminDatabaseUrl, baseDatabaseUrl } from './setup/test-env';

const ROOT = join(__dirname, '..');

/** Every process whose parent chain leads to `root` (from /proc), including root. */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may contain spaces, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parents) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

/** Processes (of anyone) whose working directory is inside `dir`: what a stopped run must not leave. */
function processesIn(dir: string): string[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        if (!cwd.startsWith(dir)) return [];
        return [`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`];
      } catch {
        return [];
      }
    });
}

/** A process's state and start time (clock ticks since boot); with its pid, an identity that survives pid reuse. */
function procStat(pid: number): { state: string; started: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], started: fields[19] };
  } catch {
    return undefined;
  }
}

/**
 * Which of the recorded processes still run: the same pid with the same start time, and not a zombie
 * (an orphan that exited and waits for this machine's init to reap it is not running).
 */
const stillRunning = (seen: Map<number, string>) =>
  [...seen]
    .filter(([pid, started]) => {
      const now = procStat(pid);
      return now?.started === started && !['Z', 'X'].includes(now.state);
    })
    .map(([pid]) => {
      try {
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`;
      } catch {
        return `${pid}`;
      }
    });

/** Listens on the port (all addresses, as the API does), or fails; close() drops its connections too. */
async function occupy(port = 0): Promise<{ port: number; close(): void }> {
  const server = createServer((socket) => sockets.add(socket));
  const sockets = new Set<Socket>();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close() {
      sockets.forEach((s) => s.destroy());
      server.close();
    },
  };
}

class DevRun {
  output = '';
  readonly seen = new Map<number, string>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => (this.output += String(d)));
    child.stderr!.on('data', (d) => (this.output += String(d)));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    // Remember every process the script starts, to check afterwards that none is left.
    this.timer = setInterval(() => {
      for (const pid of processTree(child.pid!)) {
        const started = procStat(pid)?.started;
        if (started && !this.seen.has(pid)) this.seen.set(pid, started);
      }
    }, 250);
    void this.exited.then(() => clearInterval(this.timer));
  }

  /** Resolves when the output contains `text`; rejects when the script exits first or time runs out. */
  async waitFor(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(
          `dev.sh exited (${this.child.exitCode ?? this.child.signalCode}) before "${text}":\n${this.tail()}`,
        );
      if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async exit(timeoutMs: number) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`dev.sh still running after ${timeoutMs} ms:\n${this.tail()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends whatever is left (a failed test must not leave the app running). */
  kill(): void {
    for (const entry of stillRunning(this.seen)) process.kill(Number(entry.split(' ')[0]), 'SIGKILL');
  }

  tail(): string {
    return this.output.split('\n').slice(-40).join('\n');
  }
}

/**
 * The README's run path as a newcomer takes it in production mode, with no terminal: a fresh `git clone` of
 * this repository's HEAD (committed work only), `NODE_ENV=production` and a JWT_SECRET in `.env`, then
 * ./scripts/dev.sh on ports of its own, a database of its own and the test run's Redis database.
 */
describe('./scripts/dev.sh from a fresh clone with NODE_ENV=production in .env, without a terminal', () => {
  let clone: string;
  const dbName = `messenger_devrun_${process.pid}`;
  const dbUrl = (() => {
    const url = baseDatabaseUrl();
    url.pathname = `/${dbName}`;
    return url.toString();
  })();
  const runs: DevRun[] = [];

  const start = async (ports: { PORT: number; METRICS_PORT: number }) => {
    const child = spawn('bash', ['scripts/dev.sh'], {
      cwd: clone,
      // A process group of its own, as a terminal would give it: Ctrl-C is a SIGINT to the group.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Only what a shell would have, plus the test's own targets; NODE_ENV comes from .env.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(ports.PORT),
        METRICS_PORT: String(ports.METRICS_PORT),
        DATABASE_URL: dbUrl,
        REDIS_URL: process.env.TEST_REDIS_URL,
        // The lockfile's packages come from npm's cache (filled by the test command's own npm ci).
        npm_config_offline: 'true',
      },
    });
    const run = new DevRun(child);
    runs.push(run);
    return run;
  };

  beforeAll(async () => {
    clone = mkdtempSync(join(tmpdir(), 'messenger-devrun-'));
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    writeFileSync(join(clone, '.env'), `NODE_ENV=production\nJWT_SECRET=${'prod-secret-'.repeat(4)}\n`);
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    await admin.end();
  });
  afterAll(async () => {
    runs.forEach((r) => r.kill());
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it('says that PORT is taken and stops before installing anything', async () => {
    const blocker = await occupy();
    const PORT = blocker.port;
    try {
      const run = await start({ PORT, METRICS_PORT: await freePort() });
      const { code } = await run.exit(30_000);
      expect(code).toBe(1);
      expect(run.output).toContain(`Port ${PORT} (PORT) is already in use`);
      expect(run.output).not.toContain('Installing');
      expect(run.output).not.toContain('Messenger is running');
    } finally {
      blocker.close();
    }
  });

  it('installs (dev tools included), builds, migrates, seeds, and prints the banner once the API and the worker are up; Ctrl-C stops all of it', async () => {
    const PORT = await freePort();
    const run = await start({ PORT, METRICS_PORT: await freePort() });
    await run.waitFor('Messenger is running', 400_000);

    // At the moment of the banner the API answers and the worker runs.
    expect((await fetch(`http://127.0.0.1:${PORT}/api/health`)).status).toBe(200);
    const processes = processTree(run.child.pid!).map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        return '';
      }
    });
    expect(processes).toEqual(expect.arrayContaining(['node dist/main.js', 'node dist/worker.js']));
    expect(run.output).toMatch(/Installing dependencies/);
    expect(run.output).not.toMatch(/\b(husky|nest|tsc): not found/);
    // Demo data, as the README says; in production mode the banner also says how to leave it out.
    const login = await new Api(`http://127.0.0.1:${PORT}`).post('/auth/login', {
      login: 'alice',
      password: 'alice-password',
    });
    expect(login.status).toBe(200);
    expect(run.output).toContain('SEED_DEMO=false');

    process.kill(-run.child.pid!, 'SIGINT');
    const { code } = await run.exit(60_000);
    expect({ code, output: code === 130 ? '' : run.tail() }).toEqual({ code: 130, output: '' });
    expect(stillRunning(run.seen)).toEqual([]);
    expect(processesIn(clone)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${PORT}/api/health`)).rejects.toThrow();
  }, 600_000);

  it('says so and exits non-zero, with no banner and nothing left running, when the API cannot start', async () => {
    const PORT = await freePort();
    const run = await start({ PORT, METRICS_PORT: await freePort() });
    // Dependencies are current now; take the port after dev.sh has checked it, while it builds.
    await run.waitFor('==> Building', 60_000);
    const blocker = await occupy(PORT);
    try {
      const { code } = await run.exit(300_000);
      expect({ code, output: code === 1 ? '' : run.tail() }).toEqual({ code: 1, output: '' });
      expect(run.output).toContain('The API exited before it answered');
      expect(run.output).not.toContain('Messenger is running');
      expect(stillRunning(run.seen)).toEqual([]);
      expect(processesIn(clone)).toEqual([]);
    } finally {
      blocker.close();
    }
  }, 400_000);
});
