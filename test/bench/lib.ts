/**
 * The bench's measuring parts that do not depend on a running scenario: delivery tracking with honest
 * percentiles, process CPU from /proc (including a PostgreSQL cluster counter that cannot go backwards),
 * machine CPU, heap snapshot summaries and the throughput ladder's figure. Covered by lib.e2e-spec.ts.
 */
import { execFileSync } from 'child_process';
import { readdirSync, readFileSync } from 'fs';

// ---------- percentiles and delivery tracking ----------

/** Nearest-rank percentile, rounded to 0.01 ms; NaN for no values. */
export function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100;
}

interface Sent {
  at: number;
  expect: number;
  got: number;
  acked: boolean;
  failed: boolean;
  /** ms from send until the last expected recipient had it */
  latency?: number;
}

/**
 * Tracks every message from send to each delivery. A send whose ack failed or timed out is an error (the
 * client knows and would retry with the same clientMsgId); "lost" is an acknowledged message that never
 * arrived, "duplicated" any delivery beyond the expected one per recipient socket.
 *
 * Percentiles count every message sent: one that did not reach all its recipients within `timeoutMs`
 * (lost, failed, or simply late) counts as `timeoutMs`, so dropping or shedding load cannot improve p99.
 */
export class Tracker {
  private sent = new Map<string, Sent>();
  duplicates = 0;
  errors = 0;
  acked = 0;
  deliveries = 0;
  firstSendAt = NaN;
  lastAckAt = NaN;
  lastDeliveryAt = NaN;

  constructor(readonly timeoutMs: number) {}

  expect(id: string, recipients: number, now = performance.now()): void {
    if (Number.isNaN(this.firstSendAt)) this.firstSendAt = now;
    this.sent.set(id, { at: now, expect: recipients, got: 0, acked: false, failed: false });
  }
  acknowledged(id: string, now = performance.now()): void {
    const m = this.sent.get(id);
    if (!m) return;
    m.acked = true;
    this.acked += 1;
    this.lastAckAt = now;
  }
  failed(id: string): void {
    const m = this.sent.get(id);
    if (m) m.failed = true;
    this.errors += 1;
  }
  delivered(id: string, now = performance.now()): void {
    const m = this.sent.get(id);
    if (!m) return;
    m.got += 1;
    if (m.got > m.expect) {
      this.duplicates += 1;
      return;
    }
    this.deliveries += 1;
    this.lastDeliveryAt = now;
    // Direct: time to the recipient; group: time until the last member has it.
    if (m.got === m.expect) m.latency = now - m.at;
  }
  get count(): number {
    return this.sent.size;
  }
  /** Missing deliveries of acknowledged messages. */
  get lost(): number {
    let lost = 0;
    for (const m of this.sent.values()) if (!m.failed) lost += Math.max(0, m.expect - m.got);
    return lost;
  }
  /** Messages that did not reach every recipient within the timeout, for whatever reason. */
  get undelivered(): number {
    let n = 0;
    for (const m of this.sent.values()) if (m.latency === undefined || m.latency > this.timeoutMs) n += 1;
    return n;
  }
  /** One value per message sent; undelivered or late ones count as the timeout. */
  samples(): number[] {
    const out: number[] = [];
    for (const m of this.sent.values())
      out.push(m.latency === undefined ? this.timeoutMs : Math.min(m.latency, this.timeoutMs));
    return out;
  }
  percentile(p: number): number {
    return pct(this.samples(), p);
  }
  /** Still worth waiting for: an ack outstanding, or a delivery of a message younger than the timeout. */
  pending(now = performance.now()): boolean {
    for (const m of this.sent.values()) {
      if (now - m.at > this.timeoutMs) continue;
      if (!m.acked && !m.failed) return true;
      if (!m.failed && m.got < m.expect) return true;
    }
    return false;
  }
}

// ---------- CPU from /proc ----------

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux this runs on
}

interface ProcStat {
  comm: string;
  ppid: number;
  /** own CPU seconds (utime + stime) */
  self: number;
  /** CPU seconds of children it has reaped (cutime + cstime) */
  reaped: number;
}

export function procStat(pid: number): ProcStat {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  return {
    comm,
    ppid: Number(f[1]),
    self: (Number(f[11]) + Number(f[12])) / ticksPerSecond,
    reaped: (Number(f[13]) + Number(f[14])) / ticksPerSecond,
  };
}

/** CPU seconds used by a process so far, all its threads (utime + stime). */
export function cpuSeconds(pid: number): number {
  return procStat(pid).self;
}

export function childrenOf(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    return tasks.flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    // Kernels without /proc/<pid>/task/<tid>/children: scan every process's parent.
    const out: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (procStat(Number(entry)).ppid === pid) out.push(Number(entry));
      } catch {
        // exited meanwhile
      }
    }
    return out;
  }
}

/**
 * CPU seconds of a whole process tree rooted at a parent that reaps its children (the PostgreSQL
 * postmaster): its own time, the time of children it has already reaped, and the time of the live ones.
 * Backends that exit between two samples stay counted (in the parent's cutime), so the figure never goes
 * backwards. A child reaped while we read is retried, so it is counted exactly once.
 */
export function treeCpuSeconds(parentPid: number): number {
  for (let attempt = 0; ; attempt++) {
    const before = procStat(parentPid);
    let live = 0;
    for (const child of childrenOf(parentPid)) {
      try {
        const c = procStat(child);
        live += c.self + c.reaped;
      } catch {
        // exited and reaped meanwhile: the parent's reaped time changed, caught below
      }
    }
    const after = procStat(parentPid);
    if (after.reaped === before.reaped || attempt >= 5) return after.self + after.reaped + live;
  }
}

/** CPU seconds of every process with this command name (e.g. redis-server); NaN without pgrep. */
export function cpuOfCommand(command: string): number {
  try {
    return execFileSync('pgrep', ['-x', command], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .reduce((sum, pid) => {
        try {
          return sum + cpuSeconds(Number(pid));
        } catch {
          return sum; // exited meanwhile
        }
      }, 0);
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine, all cores (everything but idle and iowait in /proc/stat). */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / ticksPerSecond;
}

// ---------- heap snapshots ----------

export interface HeapGroup {
  count: number;
  size: number;
}

/**
 * Self size and count of live objects per constructor in a V8 .heapsnapshot (the nodes array). Objects are
 * grouped by constructor name; closures by function name; everything else by its type, as in DevTools'
 * summary view ("(string)", "(compiled code)", "(array) (object elements)", ...).
 */
export function summarizeHeapSnapshot(text: string): Map<string, HeapGroup> {
  const snap = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]];
    const name = snap.strings[snap.nodes[i + nameAt]];
    let key: string;
    if (type === 'object' || type === 'native') key = name;
    else if (type === 'closure') key = `(closure) ${name || '(anonymous)'}`;
    else if (type === 'array' || type === 'hidden') key = `(${type}) ${name}`;
    else if (type === 'concatenated string' || type === 'sliced string') key = '(string)';
    else key = `(${type})`;
    const g = groups.get(key) ?? { count: 0, size: 0 };
    g.count += 1;
    g.size += snap.nodes[i + sizeAt];
    groups.set(key, g);
  }
  return groups;
}

export interface HeapDiffRow {
  name: string;
  countPer: number;
  bytesPer: number;
}

/** Growth per unit (e.g. per socket) from one summary to the next, largest byte growth first. */
export function diffHeap(
  before: Map<string, HeapGroup>,
  after: Map<string, HeapGroup>,
  per: number,
): { rows: HeapDiffRow[]; totalBytesPer: number } {
  const names = new Set([...before.keys(), ...after.keys()]);
  const rows: HeapDiffRow[] = [];
  let total = 0;
  for (const name of names) {
    const a = after.get(name) ?? { count: 0, size: 0 };
    const b = before.get(name) ?? { count: 0, size: 0 };
    total += a.size - b.size;
    rows.push({ name, countPer: (a.count - b.count) / per, bytesPer: (a.size - b.size) / per });
  }
  rows.sort((x, y) => y.bytesPer - x.bytesPer);
  return { rows, totalBytesPer: total / per };
}

// ---------- throughput ladder ----------

export interface StepResult {
  offered: number;
  p99: number;
  lost: number;
  duplicated: number;
}

export const stepPassed = (s: StepResult, limitMs: number) =>
  s.p99 <= limitMs && s.lost === 0 && s.duplicated === 0;

/**
 * The ladder's figure: the highest offered rate whose step kept p99 within the limit without losing or
 * duplicating a message. Never 0 for "the first step failed": that is "< first step"; passing the top
 * step is ">= top step" (the ladder ended, not the server).
 */
export function ladderFigure(
  steps: StepResult[],
  ladder: number[],
  limitMs: number,
): { highest: number | null; label: string } {
  let highest: number | null = null;
  for (const s of steps) {
    if (!stepPassed(s, limitMs)) break;
    highest = s.offered;
  }
  if (highest === null) return { highest, label: `< ${ladder[0]}` };
  if (highest === ladder[ladder.length - 1]) return { highest, label: `>= ${highest}` };
  return { highest, label: String(highest) };
}
