import { execFile } from 'child_process';
import { existsSync, mkdtempSync, readFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import { Client } from 'pg';
import { freePort } from '../../support/processes';
import { postmasterPidOf, processTree, record, runDir, runId } from './run-registry';

const run = promisify(execFile);
const PG_BIN = existsSync('/usr/lib/postgresql/15/bin') ? '/usr/lib/postgresql/15/bin/' : '';
let clusters = 0;

/**
 * A PostgreSQL 15 cluster of the test's own, on a free port, that the test may stop, crash, pause and
 * restart without touching the machine's shared one. As root it is a Debian cluster (pg_createcluster);
 * otherwise a plain initdb data directory in the run's temp dir. fsync stays on (the default).
 */
export class PgCluster {
  private paused: number[] = [];

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly debian: boolean,
  ) {}

  static async create(): Promise<PgCluster> {
    const port = await freePort();
    const name = `msgfault_${runId()}_${++clusters}`.toLowerCase();
    const debian = process.getuid?.() === 0;
    let cluster: PgCluster;
    if (debian) {
      record({ kind: 'pg-cluster', name });
      // --no-sync only skips initdb's final flush of the fresh cluster; the server runs with fsync on.
      await run('pg_createcluster', [
        '15',
        name,
        '--port',
        String(port),
        '--logfile',
        join(runDir(), `${name}.log`),
        '--',
        '--auth=trust',
        '--no-sync',
      ]);
      cluster = new PgCluster(name, port, `/var/lib/postgresql/15/${name}`, true);
    } else {
      const dir = mkdtempSync(join(runDir(), `${name}-`));
      record({ kind: 'pg-datadir', name, dir });
      await run(`${PG_BIN}initdb`, ['-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync']);
      cluster = new PgCluster(name, port, dir, false);
    }
    await cluster.start();
    return cluster;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  get logFile(): string {
    return this.debian ? join(runDir(), `${this.name}.log`) : join(this.dataDir, 'server.log');
  }

  logTail(chars = 3000): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }

  postmasterPid(): number | null {
    return postmasterPidOf(this.dataDir);
  }

  /**
   * pg_ctl directly (as the cluster's owner): the same server `pg_ctlcluster start` runs, without its
   * two-second settling wait, which a test that restarts PostgreSQL would pay every time.
   */
  async start(): Promise<void> {
    const options = this.debian
      ? `-c config_file=/etc/postgresql/15/${this.name}/postgresql.conf`
      : `-p ${this.port} -k ${this.dataDir} -c listen_addresses=127.0.0.1`;
    await this.pgCtl(['-D', this.dataDir, '-l', this.logFile, '-w', '-o', options, 'start']);
    await this.waitUntilAccepting();
  }

  /** `fast` rolls back open transactions and disconnects; `immediate` is a crash (recovery at next start). */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    this.resume();
    await this.pgCtl(['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  private async pgCtl(args: string[]): Promise<void> {
    await run(`${PG_BIN}pg_ctl`, args, this.debian ? { ...postgresUser(), cwd: '/tmp' } : {});
  }

  /** SIGSTOP the postmaster (first, so it forks nothing new) and every backend: a server that hangs. */
  pause(): void {
    const pid = this.postmasterPid();
    if (!pid) throw new Error(`cluster ${this.name} is not running`);
    this.paused = processTree(pid);
    for (const p of this.paused) signal(p, 'SIGSTOP');
  }

  resume(): void {
    for (const p of this.paused.reverse()) signal(p, 'SIGCONT');
    this.paused = [];
  }

  async drop(): Promise<void> {
    this.resume();
    if (this.debian) await run('pg_dropcluster', ['--stop', '15', this.name]);
    else {
      await run(`${PG_BIN}pg_ctl`, ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(
        () => undefined,
      );
      await run('rm', ['-rf', this.dataDir]);
    }
  }

  async createDatabase(name: string): Promise<string> {
    const client = new Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  private async waitUntilAccepting(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = new Client({ connectionString: this.url(), connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline)
          throw new Error(
            `cluster ${this.name} did not accept connections: ${String(err)}\n${this.logTail()}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** The Debian clusters belong to the `postgres` account; pg_ctl refuses to run as root. */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no postgres account in /etc/passwd');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* exited meanwhile */
  }
}
