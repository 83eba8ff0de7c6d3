import { execFileSync } from 'child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * Everything a fault test starts (child processes, PostgreSQL clusters) is written down in a directory of
 * its run, so that the run's teardown, or the next run after a crash of this one, can end exactly those and
 * nothing else. Processes carry FAULTS_RUN_ID in their environment, so a recycled pid is never mistaken.
 */
// One root per user: another account's runs are not ours to clean up (and not writable anyway).
const ROOT = join(tmpdir(), `messenger-faults-${process.getuid?.() ?? 'user'}`);

export interface Resource {
  kind: 'process' | 'pg-cluster' | 'pg-datadir';
  pid?: number;
  name: string;
  /** pg-datadir only: the data directory of an initdb cluster (non-root runs). */
  dir?: string;
  /** Text the process's command line must contain: for programs that rewrite their environment (redis-server). */
  cmdline?: string;
}

export function runId(): string {
  const id = process.env.FAULTS_RUN_ID;
  if (!id) throw new Error('FAULTS_RUN_ID is not set: run the fault tests with `npm run test:faults`');
  return id;
}

export function runDir(): string {
  return join(ROOT, runId());
}

export function createRun(): string {
  const id = `r${process.pid}x${Date.now().toString(36)}`;
  mkdirSync(join(ROOT, id), { recursive: true });
  writeFileSync(join(ROOT, id, 'owner'), String(process.pid));
  process.env.FAULTS_RUN_ID = id;
  return id;
}

export function record(resource: Resource): void {
  appendFileSync(join(runDir(), 'resources.jsonl'), JSON.stringify(resource) + '\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when the process still runs and was started by this run: its environment names the run, or (for a
 * program that overwrites its environment with its process title) its command line is the recorded one.
 */
function ours(r: Resource, id: string): boolean {
  try {
    if (r.cmdline) return readFileSync(`/proc/${r.pid}/cmdline`, 'latin1').includes(r.cmdline);
    return readFileSync(`/proc/${r.pid}/environ`, 'latin1').split('\0').includes(`FAULTS_RUN_ID=${id}`);
  } catch {
    return false;
  }
}

function resources(id: string): Resource[] {
  const file = join(ROOT, id, 'resources.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Resource);
}

/** Ends what a run left behind: its processes (SIGCONT first, in case one was paused), its clusters. */
export function cleanUpRun(id: string): string[] {
  const done: string[] = [];
  for (const r of resources(id)) {
    if (r.kind === 'process' && r.pid && ours(r, id)) {
      try {
        process.kill(r.pid, 'SIGCONT');
        process.kill(r.pid, 'SIGKILL');
        done.push(`killed ${r.name} (pid ${r.pid})`);
      } catch {
        /* gone meanwhile */
      }
    }
    if (r.kind === 'pg-cluster' && clusterExists(r.name)) {
      resumeCluster(r.name);
      execFileSync('pg_dropcluster', ['--stop', '15', r.name], { stdio: 'ignore' });
      done.push(`dropped cluster ${r.name}`);
    }
    if (r.kind === 'pg-datadir' && r.dir && existsSync(r.dir)) {
      const pid = postmasterPidOf(r.dir);
      if (pid && alive(pid)) {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      }
      rmSync(r.dir, { recursive: true, force: true });
      done.push(`removed ${r.dir}`);
    }
  }
  return done;
}

/** Runs whose owner (the Jest process) is gone: a crashed or interrupted run. Cleans and removes them. */
export function cleanUpStaleRuns(): string[] {
  if (!existsSync(ROOT)) return [];
  const done: string[] = [];
  for (const id of readdirSync(ROOT)) {
    const ownerFile = join(ROOT, id, 'owner');
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
    if (owner && alive(owner) && id !== process.env.FAULTS_RUN_ID) continue;
    if (id === process.env.FAULTS_RUN_ID) continue;
    done.push(...cleanUpRun(id));
    rmSync(join(ROOT, id), { recursive: true, force: true });
  }
  return done;
}

export function removeRun(id: string): void {
  rmSync(join(ROOT, id), { recursive: true, force: true });
}

export function clusterExists(name: string): boolean {
  return existsSync(`/etc/postgresql/15/${name}`);
}

export function postmasterPidOf(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The postmaster and every process below it (backends, checkpointer, ...), postmaster first. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces or parentheses: the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      /* exited while listing */
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(rootPid);
  return tree;
}

function resumeCluster(name: string): void {
  const pid = postmasterPidOf(`/var/lib/postgresql/15/${name}`);
  if (!pid || !alive(pid)) return;
  for (const p of processTree(pid)) {
    try {
      process.kill(p, 'SIGCONT');
    } catch {
      /* gone */
    }
  }
}
