import { spawn } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { testEnv } from './app';
import { Proc } from './processes';

/** The real worker process (dist/worker.js), as production runs it. The test command builds first. */
export class WorkerProcess extends Proc {
  static async start(overrides: Record<string, string>): Promise<WorkerProcess> {
    const entry = join(__dirname, '..', '..', 'dist', 'worker.js');
    if (!existsSync(entry)) throw new Error('dist/worker.js is missing: run `npm run build` first');
    const env = { ...process.env, ...testEnv({ LOG_LEVEL: 'info', ...overrides }) };
    const worker = new WorkerProcess(spawn(process.execPath, [entry], { env }));
    await worker.waitForOutput('Worker started', 20000);
    return worker;
  }

  waitForOutput(text: string, timeoutMs = 10000): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (this.output.includes(text)) return resolve();
        if (this.child.exitCode !== null)
          return reject(new Error(`worker exited (${this.child.exitCode}):\n${this.output}`));
        if (Date.now() - started > timeoutMs)
          return reject(new Error(`worker did not print "${text}":\n${this.output}`));
        setTimeout(check, 50);
      };
      check();
    });
  }

  get log(): string {
    return this.output;
  }

  /** SIGKILL: no shutdown hooks, like a crash. */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }
}
