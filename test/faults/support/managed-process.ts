import { ChildProcess, spawn } from 'child_process';
import { record, runId } from './run-registry';

const KEEP_OUTPUT = 400_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/**
 * A child process a fault test may signal at any moment (SIGKILL, SIGTERM, SIGSTOP): its pid is recorded
 * for the run's cleanup, its output is kept (the tail) for failure messages, and its exit is a promise.
 */
export class ManagedProcess {
  private out = '';
  private outputWaiters: { match: (s: string) => boolean; resolve: () => void }[] = [];
  readonly exited: Promise<Exit>;
  exit?: Exit;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const append = (d: Buffer) => {
      this.out += d.toString();
      if (this.out.length > KEEP_OUTPUT) this.out = this.out.slice(-KEEP_OUTPUT / 2);
      this.outputWaiters = this.outputWaiters.filter((w) =>
        w.match(this.out) ? (w.resolve(), false) : true,
      );
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        resolve(this.exit);
      }),
    );
  }

  /** `cmdline`: what /proc/<pid>/cmdline keeps showing, for a program that rewrites its environment. */
  static spawn(
    name: string,
    cmd: string,
    args: string[],
    env: Record<string, string | undefined>,
    cmdline?: string,
  ) {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...env, FAULTS_RUN_ID: runId() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!child.pid) throw new Error(`could not start ${name} (${cmd})`);
    record({ kind: 'process', pid: child.pid, name, cmdline });
    const proc = new ManagedProcess(name, child);
    liveProcesses.add(proc);
    void proc.exited.then(() => liveProcesses.delete(proc));
    return proc;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get output(): string {
    return this.out;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, sig);
  }

  /** SIGKILL and wait: a crash, no shutdown hooks. */
  async kill(): Promise<Exit> {
    if (this.running) {
      process.kill(this.pid, 'SIGCONT');
      process.kill(this.pid, 'SIGKILL');
    }
    return this.exited;
  }

  /** A signal, then SIGKILL if it has not exited within `graceMs`. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exit!;
    this.signal(sig);
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  waitForOutput(text: string | RegExp, timeoutMs = 20_000): Promise<void> {
    const match = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
    if (match(this.out)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} did not print ${String(text)}:\n${this.tail()}`)),
        timeoutMs,
      );
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.outputWaiters.push({ match, resolve: done });
      void this.exited.then(() => {
        if (!match(this.out)) {
          clearTimeout(timer);
          reject(new Error(`${this.name} exited (${JSON.stringify(this.exit)}):\n${this.tail()}`));
        }
      });
    });
  }

  tail(chars = 4000): string {
    return this.out.slice(-chars);
  }
}

/** Children still running, killed synchronously if the test process exits without its teardown. */
const liveProcesses = new Set<ManagedProcess>();
process.once('exit', () => {
  for (const p of liveProcesses) {
    try {
      process.kill(p.pid, 'SIGCONT');
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});
