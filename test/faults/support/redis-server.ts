import { mkdtempSync } from 'fs';
import { join } from 'path';
import { freePort } from '../../support/processes';
import { ManagedProcess } from './managed-process';
import { runDir } from './run-registry';

/**
 * A redis-server of the test's own (a child process): no RDB snapshots, AOF on or off, so a SIGKILL and a
 * restart on the same port and directory either keeps the data (AOF) or loses all of it.
 */
export class RedisServer {
  proc?: ManagedProcess;
  private restarts = 0;

  private constructor(
    readonly port: number,
    readonly dir: string,
    public aof: boolean,
  ) {}

  static async start(options: { aof: boolean }): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(runDir(), 'redis-')), options.aof);
    await server.launch();
    return server;
  }

  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  /** kill -9: no shutdown, no final write. */
  async kill(): Promise<void> {
    await this.proc?.kill();
  }

  /** SIGSTOP: connections stay open and nothing answers (a stalled server, not a dead one). */
  pause(): void {
    this.proc?.signal('SIGSTOP');
  }

  resume(): void {
    this.proc?.signal('SIGCONT');
  }

  async restart(): Promise<void> {
    if (this.running) await this.kill();
    this.restarts += 1;
    await this.launch();
  }

  /** Restarts with persistence switched on or off (what Redis held is lost either way). */
  async reconfigure(options: { aof: boolean }): Promise<void> {
    await this.kill();
    this.aof = options.aof;
    await this.restart();
  }

  async stop(): Promise<void> {
    await this.proc?.kill();
  }

  private async launch(): Promise<void> {
    this.proc = ManagedProcess.spawn(
      `redis-${this.port}-${this.restarts}`,
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        this.aof ? 'yes' : 'no',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
      ],
      {},
      // redis-server overwrites its environment with its title, "redis-server 127.0.0.1:<port>".
      `127.0.0.1:${this.port}`,
    );
    await this.proc.waitForOutput('Ready to accept connections', 15_000);
  }
}
