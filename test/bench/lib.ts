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

/** The machine's CPU line of /proc/stat: user nice system idle iowait irq softirq steal (guest is inside user). */
const machineCpuTicks = () =>
  readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);

/** Busy CPU seconds of the whole machine, all cores (everything but idle and iowait), steal included. */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = machineCpuTicks();
  return (user + nice + system + irq + softirq + (steal ?? 0)) / ticksPerSecond;
}

/** CPU seconds the hypervisor ran other guests while this one had work (steal): lost to the VM's host. */
export function machineStealSeconds(): number {
  return (machineCpuTicks()[7] ?? 0) / ticksPerSecond;
}

// ---------- heap snapshots ----------

export interface HeapGroup {
  count: number;
  size: number;
}

/**
 * Self size and count of live objects per constructor in a V8 .heapsnapshot (the nodes array). Objects are
 * grouped by constructor name; closures by function name and where the function is defined (file:line, via
 * the snapshot's locations and the function's script), so "73 anonymous closures per socket" names its
 * source; closure contexts by the closure that holds them; plain Arrays and Objects by their first holder
 * ("Array in Subscriber._finalizers"); element and property arrays by the object that owns them; everything
 * else by its type, as in DevTools' summary ("(string)", "(array) (object elements)", ...).
 */
export function summarizeHeapSnapshot(text: string, shortenPath = defaultShorten): Map<string, HeapGroup> {
  const snap = JSON.parse(text) as {
    snapshot: {
      meta: {
        node_fields: string[];
        node_types: [string[], ...unknown[]];
        edge_fields: string[];
        edge_types: [string[], ...unknown[]];
        location_fields?: string[];
      };
    };
    nodes: number[];
    edges: number[];
    locations?: number[];
    strings: string[];
  };
  const meta = snap.snapshot.meta;
  const types = meta.node_types[0];
  const width = meta.node_fields.length;
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    meta.node_fields.indexOf(f),
  );
  const edgeWidth = meta.edge_fields.length;
  const [edgeTypeAt, edgeNameAt, edgeToAt] = ['type', 'name_or_index', 'to_node'].map((f) =>
    meta.edge_fields.indexOf(f),
  );
  const edgeTypes = meta.edge_types[0];
  const nodeCount = snap.nodes.length / width;
  // Edges are stored node after node; where each node's edges start.
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let n = 0, e = 0; n < nodeCount; n++) {
    firstEdge[n] = e;
    e += snap.nodes[n * width + edgeCountAt] * edgeWidth;
    firstEdge[n + 1] = e;
  }
  const internalEdge = (node: number, name: string): number | undefined => {
    for (let e = firstEdge[node]; e < firstEdge[node + 1]; e += edgeWidth) {
      const type = edgeTypes[snap.edges[e + edgeTypeAt]];
      if (type === 'internal' && snap.strings[snap.edges[e + edgeNameAt]] === name)
        return snap.edges[e + edgeToAt] / width;
    }
    return undefined;
  };
  const lines = new Map<number, number>();
  const loc = meta.location_fields ?? [];
  if (snap.locations && loc.length) {
    const [objAt, lineAt] = ['object_index', 'line'].map((f) => loc.indexOf(f));
    for (let i = 0; i < snap.locations.length; i += loc.length)
      lines.set(snap.locations[i + objAt], snap.locations[i + lineAt]);
  }
  const whereDefined = (node: number): string => {
    const shared = internalEdge(node, 'shared');
    const script = shared === undefined ? undefined : internalEdge(shared, 'script_or_debug_info');
    const file = script === undefined ? '' : shortenPath(snap.strings[snap.nodes[script * width + nameAt]]);
    const line = lines.get(node * width);
    return file ? ` @ ${file}${line === undefined ? '' : `:${line + 1}`}` : '';
  };

  // A closure's context (the variables it captured) is attributed to the first closure found using it.
  const closureKeys = new Map<number, string>();
  const contextOwner = new Map<number, string>();
  for (let n = 0; n < nodeCount; n++) {
    if (types[snap.nodes[n * width + typeAt]] !== 'closure') continue;
    const where = whereDefined(n);
    closureKeys.set(n, `(closure) ${snap.strings[snap.nodes[n * width + nameAt]] || '(anonymous)'}${where}`);
    const context = internalEdge(n, 'context');
    if (context !== undefined && where && !contextOwner.has(context)) contextOwner.set(context, where);
  }

  // Plain Arrays and Objects say little by themselves: name each by its first holder ("Array in
  // Subscriber._finalizers"). An object's elements and out-of-object properties are arrays of their own:
  // name them by their owner.
  const nameOf = (n: number) =>
    types[snap.nodes[n * width + typeAt]] === 'closure'
      ? closureKeys.get(n)!
      : snap.strings[snap.nodes[n * width + nameAt]];
  const holder = new Map<number, string>();
  const arrayOwner = new Map<number, number>();
  for (let n = 0; n < nodeCount; n++) {
    const ownerType = types[snap.nodes[n * width + typeAt]];
    if (ownerType !== 'object' && ownerType !== 'closure') continue;
    for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += edgeWidth) {
      const edgeType = edgeTypes[snap.edges[e + edgeTypeAt]];
      const to = snap.edges[e + edgeToAt] / width;
      if (edgeType === 'internal') {
        const edgeName = snap.strings[snap.edges[e + edgeNameAt]];
        if (edgeName === 'elements' || edgeName === 'properties') arrayOwner.set(to, n);
        continue;
      }
      if (holder.has(to) || types[snap.nodes[to * width + typeAt]] !== 'object') continue;
      const target = snap.strings[snap.nodes[to * width + nameAt]];
      if (target !== 'Array' && target !== 'Object') continue;
      const edgeName = snap.edges[e + edgeNameAt];
      if (edgeType === 'property') holder.set(to, `${nameOf(n)}.${snap.strings[edgeName]}`);
      else if (edgeType === 'element') holder.set(to, `${nameOf(n)}[]`);
      else if (edgeType === 'context')
        holder.set(to, `variable ${snap.strings[edgeName]}${contextOwner.get(n) ?? ''}`);
    }
  }
  const objectKey = (n: number) => {
    const name = snap.strings[snap.nodes[n * width + nameAt]];
    if (types[snap.nodes[n * width + typeAt]] === 'closure') return closureKeys.get(n)!;
    if (contextOwner.has(n)) return `${name}${contextOwner.get(n)}`;
    return holder.has(n) ? `${name} in ${holder.get(n)}` : name;
  };

  const groups = new Map<string, HeapGroup>();
  for (let n = 0; n < nodeCount; n++) {
    const i = n * width;
    const type = types[snap.nodes[i + typeAt]];
    const name = snap.strings[snap.nodes[i + nameAt]];
    let key: string;
    if (type === 'object' || type === 'closure') key = objectKey(n);
    else if (type === 'native') key = name;
    else if (type === 'array' && arrayOwner.has(n))
      key = `(array) ${name} of ${objectKey(arrayOwner.get(n)!)}`;
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

/** node_modules/<package>/... or the path below the checkout, instead of an absolute path. */
function defaultShorten(path: string): string {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  return path.replace(/^.*?\/(dist|src|test)\//, '$1/');
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

/** Attempts per step: a failed step is measured once more before the ladder stops (one pause decides less). */
export const STEP_ATTEMPTS = 2;

/** Whether the ladder goes on after these attempts of one step: one passed, or none is left to try. */
export const stepSettled = (attempts: StepResult[], limitMs: number) =>
  attempts.some((s) => stepPassed(s, limitMs)) || attempts.length >= STEP_ATTEMPTS;

/**
 * The ladder's figure: the highest offered rate of an unbroken run of steps from the first, each with an
 * attempt that kept p99 within the limit without losing or duplicating a message (a step has up to
 * STEP_ATTEMPTS attempts, in order). Never 0 for "the first step failed": that is "< first step"; passing
 * the top step is ">= top step" (the ladder ended, not the server).
 */
export function ladderFigure(
  steps: StepResult[],
  ladder: number[],
  limitMs: number,
): { highest: number | null; label: string } {
  let highest: number | null = null;
  for (const offered of [...new Set(steps.map((s) => s.offered))]) {
    if (!steps.some((s) => s.offered === offered && stepPassed(s, limitMs))) break;
    highest = offered;
  }
  if (highest === null) return { highest, label: `< ${ladder[0]}` };
  if (highest === ladder[ladder.length - 1]) return { highest, label: `>= ${highest}` };
  return { highest, label: String(highest) };
}

// ---------- the app's send phases (from its /metrics) ----------

/** The sums and counts of the app's send-batch histograms in one /metrics text (prom-client's format). */
export function sendCounters(metricsText: string): Map<string, number> {
  const out = new Map<string, number>();
  const line = /^(send_batch_size|send_batch_phase_seconds)_(sum|count)(?:\{phase="(\w+)"\})? (\S+)$/gm;
  for (const m of metricsText.matchAll(line))
    out.set(`${m[1]}${m[3] ? `:${m[3]}` : ''}_${m[2]}`, Number(m[4]));
  return out;
}

export interface SendPhases {
  batches: number;
  meanBatch: number;
  /** mean ms per batch: its oldest send waiting for a slot, the Redis round trip, the statement */
  queuedMs: number;
  redisMs: number;
  statementMs: number;
}

/** What the batches between two scrapes cost on average; undefined when none ran (or no such metrics). */
export function sendPhasesBetween(
  before: Map<string, number>,
  after: Map<string, number>,
): SendPhases | undefined {
  const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const batches = delta('send_batch_size_count');
  if (!(batches > 0)) return undefined;
  const meanMs = (phase: string) => {
    const n = delta(`send_batch_phase_seconds:${phase}_count`);
    return n > 0 ? Math.round((delta(`send_batch_phase_seconds:${phase}_sum`) / n) * 1e6) / 1e3 : NaN;
  };
  return {
    batches,
    meanBatch: Math.round((delta('send_batch_size_sum') / batches) * 10) / 10,
    queuedMs: meanMs('queued'),
    redisMs: meanMs('redis'),
    statementMs: meanMs('statement'),
  };
}
