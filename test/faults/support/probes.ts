import { io } from 'socket.io-client';

export interface ProbeTarget {
  name: string;
  method?: 'GET' | 'POST';
  url: string;
  token?: () => string | undefined;
  body?: () => unknown;
}

export interface ProbeResult {
  name: string;
  startedAt: number;
  endedAt: number;
  /** HTTP status, or 0 when no response came (connection refused/reset, or our 30 s abort). */
  status: number;
  retryAfterHeader: string | null;
  body: any;
  error?: string;
}

/** One real HTTP request, timed, with the parts a test asserts on. */
export async function probe(target: ProbeTarget, abortAfterMs = 30_000): Promise<ProbeResult> {
  const startedAt = Date.now();
  const headers: Record<string, string> = {};
  const token = target.token?.();
  if (token) headers.authorization = `Bearer ${token}`;
  const body = target.body?.();
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(target.url, {
      method: target.method ?? 'GET',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(abortAfterMs),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text */
    }
    return {
      name: target.name,
      startedAt,
      endedAt: Date.now(),
      status: res.status,
      retryAfterHeader: res.headers.get('retry-after'),
      body: parsed,
    };
  } catch (err) {
    return {
      name: target.name,
      startedAt,
      endedAt: Date.now(),
      status: 0,
      retryAfterHeader: null,
      body: undefined,
      error: String((err as Error).cause ?? err),
    };
  }
}

/** Requests to each target in a loop (a new one every `intervalMs` per target) until stop(). */
export class ProbeLoop {
  private static readonly running = new Set<ProbeLoop>();
  readonly results: ProbeResult[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  /** Ends every loop still running (a scenario that threw midway): FaultStack.close() calls it. */
  static async stopAll(): Promise<void> {
    await Promise.all([...ProbeLoop.running].map((l) => l.stop()));
  }

  constructor(targets: ProbeTarget[], intervalMs = 150) {
    ProbeLoop.running.add(this);
    this.loops = targets.map(async (t) => {
      const inFlight = new Set<Promise<void>>();
      while (this.running) {
        // Not awaited one by one: a hung request must not stop the next ones from being made.
        const p: Promise<void> = probe(t).then((r) => {
          this.results.push(r);
          inFlight.delete(p);
        });
        inFlight.add(p);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      await Promise.all(inFlight);
    });
  }

  async stop(): Promise<ProbeResult[]> {
    this.running = false;
    ProbeLoop.running.delete(this);
    await Promise.all(this.loops);
    return this.results;
  }

  between(from: number, to: number, name?: string): ProbeResult[] {
    return this.results.filter((r) => r.startedAt >= from && r.startedAt <= to && (!name || r.name === name));
  }
}

/** Whether a REST answer is the contract's 503: body shape plus a Retry-After header. */
export function isContract503(r: ProbeResult): boolean {
  const retryAfter = Number(r.retryAfterHeader);
  return (
    r.status === 503 &&
    r.body?.statusCode === 503 &&
    r.body?.error === 'Service Unavailable' &&
    r.body?.code === 'SERVICE_UNAVAILABLE' &&
    typeof r.body?.message === 'string' &&
    Number.isInteger(retryAfter) &&
    retryAfter > 0 &&
    r.body?.retryAfter === retryAfter
  );
}

/** A compact line per answer for failure messages: "503 SERVICE_UNAVAILABLE ra=1 120ms". */
export function summarize(results: ProbeResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = `${r.name} ${r.status || r.error?.slice(0, 40)} ${r.body?.code ?? ''}${r.retryAfterHeader ? ' Retry-After' : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export type ConnectResult =
  { connected: true } | { connected: false; message: string; code?: string; afterMs: number };

/** A new Socket.IO connection: does the handshake succeed, and if not, with which `data.code`? */
export function tryConnect(url: string, token: string, timeoutMs = 10_000): Promise<ConnectResult> {
  const started = Date.now();
  const socket = io(url, {
    path: '/socket.io',
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
  });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.disconnect();
      resolve({ connected: true });
    });
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => {
      socket.close();
      resolve({
        connected: false,
        message: err.message,
        code: err.data?.code,
        afterMs: Date.now() - started,
      });
    });
  });
}

/** "401 UNAUTHORIZED, no Retry-After, 1868 ms": one answer in a failure message. */
export function describeProbe(r: ProbeResult): string {
  const status = r.status ? `${r.status} ${r.body?.code ?? ''}` : `no answer (${r.error?.slice(0, 60)})`;
  return `${r.name}: ${status}, ${r.retryAfterHeader ? `Retry-After ${r.retryAfterHeader}` : 'no Retry-After'}, ${r.endedAt - r.startedAt} ms`;
}
