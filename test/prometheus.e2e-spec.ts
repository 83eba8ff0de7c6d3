import { readFileSync } from 'fs';
import { Server } from 'http';
import { join } from 'path';
import { parse } from 'yaml';
import { RunningApp, startApp } from './support/app';
import { Api, registerUser } from './support/http';
import { freePort } from './support/processes';
import { connectSocket } from './support/sockets';
import { WorkerProcess } from './support/worker';
import {
  promtool,
  PROMETHEUS_DIR,
  RunningPrometheus,
  startExposition,
  startPrometheus,
} from './support/prometheus';

const ROOT = join(__dirname, '..');

/**
 * The metric names the API and the worker expose (issue 15; prom-client's defaults included). The
 * dashboard and the alert rules may use only these.
 */
const METRICS = [
  'up',
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'socket_events_total',
  'socket_event_duration_seconds_bucket',
  'socket_connected',
  'messages_sent_total',
  'send_batch_size_sum',
  'send_batch_size_count',
  'send_batch_phase_seconds_bucket',
  'notifications_queue_jobs',
  'notifications_jobs_total',
  'db_pool_connections',
  'redis_up',
  'nodejs_eventloop_lag_seconds',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
];

const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

function histogram(name: string, l: Record<string, string>, count: number): string[] {
  const buckets = [0.005, 0.01, 0.05, 0.1, 0.5, 1];
  return [
    ...buckets.map(
      (le, i) => `${name}_bucket${labels({ ...l, le: String(le) })} ${Math.round((count * (i + 1)) / 6)}`,
    ),
    `${name}_bucket${labels({ ...l, le: '+Inf' })} ${count}`,
    `${name}_sum${labels(l)} ${count * 0.02}`,
    `${name}_count${labels(l)} ${count}`,
  ];
}

function runtime(n: number): string[] {
  return [
    '# TYPE db_pool_connections gauge',
    `db_pool_connections{state="total"} 10`,
    `db_pool_connections{state="idle"} 7`,
    `db_pool_connections{state="waiting"} 0`,
    '# TYPE redis_up gauge',
    'redis_up 1',
    '# TYPE nodejs_eventloop_lag_seconds gauge',
    'nodejs_eventloop_lag_seconds 0.002',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${n * 0.01}`,
    '# TYPE process_resident_memory_bytes gauge',
    'process_resident_memory_bytes 123456789',
  ];
}

/** What an API instance's /metrics looks like, with counters that grow on every scrape. */
function apiExposition(n: number): string {
  // A few 5xx, well under the HighServerErrorRate threshold: a healthy instance.
  const routes = [
    { method: 'GET', route: '/api/chats', status: '200', per: 40 },
    { method: 'POST', route: '/api/chats/:chatId/messages', status: '201', per: 28 },
    { method: 'POST', route: '/api/auth/login', status: '500', per: 1 },
  ];
  return [
    '# HELP http_requests_total HTTP requests by method, route and status.',
    '# TYPE http_requests_total counter',
    ...routes.map(({ per, ...r }) => `http_requests_total${labels(r)} ${n * per}`),
    '# TYPE http_request_duration_seconds histogram',
    ...routes.flatMap(({ per, ...r }) => histogram('http_request_duration_seconds', r, n * per)),
    '# TYPE socket_events_total counter',
    `socket_events_total{event="message:send",outcome="ok"} ${n * 5}`,
    `socket_events_total{event="message:send",outcome="error"} ${n}`,
    '# TYPE socket_event_duration_seconds histogram',
    ...histogram('socket_event_duration_seconds', { event: 'message:send' }, n * 6),
    '# TYPE socket_connected gauge',
    'socket_connected 12',
    '# TYPE messages_sent_total counter',
    `messages_sent_total ${n * 5}`,
    '# TYPE send_batch_size histogram',
    ...histogram('send_batch_size', {}, n * 2).map((l) => l.replace('{}', '')),
    '# TYPE send_batch_phase_seconds histogram',
    ...['queued', 'redis', 'statement'].flatMap((phase) =>
      histogram('send_batch_phase_seconds', { phase }, n * 2),
    ),
    ...runtime(n),
    '',
  ].join('\n');
}

/** The worker's /metrics: the notification queue and its jobs. */
function workerExposition(n: number): string {
  return [
    '# TYPE notifications_queue_jobs gauge',
    ...['waiting', 'delayed', 'active', 'failed'].map(
      (s, i) => `notifications_queue_jobs{state="${s}"} ${i + 1}`,
    ),
    '# TYPE notifications_jobs_total counter',
    `notifications_jobs_total{outcome="sent"} ${n * 3}`,
    `notifications_jobs_total{outcome="failed"} ${n}`,
    ...runtime(n),
    '',
  ].join('\n');
}

/** The metric names a PromQL expression reads: what is left after label matchers, grouping and functions. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)]
    .map((m) => m[1])
    .filter((n) => !/^(and|or|unless|bool|offset)$/.test(n));
}

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'docs', 'grafana-dashboard.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
};
const panels = dashboard.panels.filter((p) => p.type !== 'row');
// Grafana's own interval variable, as it would substitute it for a 1 s scrape interval.
const asPromQL = (expr: string) => expr.replace(/\$__rate_interval/g, '10s');

describe('monitoring: ops/prometheus and the Grafana dashboard', () => {
  it('promtool accepts the shipped config and rules, and the alert rule unit tests pass', () => {
    expect(promtool('check', 'config', join(PROMETHEUS_DIR, 'prometheus.yml'))).toMatch(/SUCCESS/);
    expect(promtool('test', 'rules', join(PROMETHEUS_DIR, 'alerts.test.yml'))).toMatch(/SUCCESS/);
  });

  it('the dashboard queries the provisioned data source, using only metrics that exist', () => {
    const provisioned = parse(
      readFileSync(join(ROOT, 'ops', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; url: string }[] };
    const uid = provisioned.datasources[0].uid;
    expect(panels.length).toBeGreaterThanOrEqual(12);
    for (const panel of panels) {
      expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        const names = metricNames(target.expr);
        expect({ panel: panel.title, unknown: names.filter((n) => !METRICS.includes(n)) }).toEqual({
          panel: panel.title,
          unknown: [],
        });
      }
    }
    // The brief's panels, by what they show.
    const shown = panels.flatMap((p) => p.targets!.map((t) => t.expr)).join('\n');
    for (const metric of METRICS.filter((m) => m !== 'up')) expect(shown).toContain(metric);
  });

  describe('the real Prometheus scraping two API instances and the worker', () => {
    const servers: Server[] = [];
    let prometheus: RunningPrometheus;

    beforeAll(async () => {
      // The target list is the parameter: today local expositions in the API's and the worker's format.
      const apis = await Promise.all([startExposition(apiExposition), startExposition(apiExposition)]);
      const worker = await startExposition(workerExposition);
      servers.push(...apis.map((a) => a.server), worker.server);
      prometheus = await startPrometheus({ api: apis.map((a) => a.target), worker: [worker.target] });
    });
    afterAll(async () => {
      await prometheus?.stop();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    });

    const poll = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
      const deadline = Date.now() + 30000;
      let value = await read();
      while (!done(value)) {
        if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
        await new Promise((r) => setTimeout(r, 300));
        value = await read();
      }
      return value;
    };

    it('has every target up', async () => {
      type Targets = { activeTargets: { labels: { job: string }; health: string; scrapeUrl: string }[] };
      const targets = await poll(
        () => prometheus.api<Targets>('targets'),
        (t) => t.activeTargets.length === 4 && t.activeTargets.every((a) => a.health === 'up'),
        'targets not all up',
      );
      expect(targets.activeTargets.map((t) => t.labels.job).sort()).toEqual([
        'api',
        'api',
        'prometheus',
        'worker',
      ]);
      expect(targets.activeTargets.every((t) => t.scrapeUrl.endsWith('/metrics'))).toBe(true);

      const up = await prometheus.api<{ result: { metric: { job: string }; value: [number, string] }[] }>(
        'query?query=up',
      );
      expect(up.result.map((r) => [r.metric.job, r.value[1]]).sort()).toEqual([
        ['api', '1'],
        ['api', '1'],
        ['prometheus', '1'],
        ['worker', '1'],
      ]);
    });

    it('loads the alert rules, and none fires on a healthy system', async () => {
      type Rules = {
        groups: { rules: { name: string; health: string; state: string; lastError?: string }[] }[];
      };
      const rules = await poll(
        () => prometheus.api<Rules>('rules'),
        // Before the first scrapes the absent() rules are pending; a healthy system settles to none.
        (r) =>
          r.groups.flatMap((g) => g.rules).every((rule) => rule.health === 'ok' && rule.state === 'inactive'),
        'rules not healthy and quiet',
      );
      const all = rules.groups.flatMap((g) => g.rules);
      expect(all.length).toBeGreaterThanOrEqual(8);
      expect(all.filter((r) => r.state !== 'inactive').map((r) => r.name)).toEqual([]);
    });

    it.each(panels.flatMap((p) => p.targets!.map((t) => [p.title, t.expr] as const)))(
      'dashboard panel "%s" returns data: %s',
      async (_title, expr) => {
        const data = await poll(
          () => prometheus.api<{ result: unknown[] }>(`query?query=${encodeURIComponent(asPromQL(expr))}`),
          (d) => d.result.length > 0,
          'no data',
        );
        expect(data.result.length).toBeGreaterThan(0);
      },
    );
  });
});

describe('the real Prometheus scraping a real API instance and a real worker', () => {
  let prometheus: RunningPrometheus;
  let app: RunningApp;
  let worker: WorkerProcess;

  beforeAll(async () => {
    app = await startApp();
    const metricsPort = await freePort();
    worker = await WorkerProcess.start({ METRICS_PORT: String(metricsPort) });
    prometheus = await startPrometheus({
      api: [app.url.replace('http://', '')],
      worker: [`127.0.0.1:${metricsPort}`],
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await worker?.stop();
    await app?.close();
  });

  it('scrapes /metrics of both, with the documented metrics counting real traffic', async () => {
    const alice = await registerUser(new Api(app.url), 'prom');
    const chatId = (await alice.api.post('/chats/direct', { userId: alice.id })).body.id;
    const socket = await connectSocket(app.url, alice.accessToken);
    try {
      expect(
        (await socket.emitAck('message:send', { chatId, text: 'counted', clientMsgId: 'prom-1' })).ok,
      ).toBe(true);
      expect((await socket.emitAck('message:send', { chatId, text: '', clientMsgId: 'prom-2' })).ok).toBe(
        false,
      );
      const value = async (query: string) => {
        const data = await prometheus.api<{ result: { value: [number, string] }[] }>(
          `query?query=${encodeURIComponent(query)}`,
        );
        return data.result.length ? Number(data.result[0].value[1]) : undefined;
      };
      const expectations: [string, (v: number) => boolean][] = [
        ['up{job="api"}', (v) => v === 1],
        ['up{job="worker"}', (v) => v === 1],
        ['sum(messages_sent_total)', (v) => v >= 1],
        ['sum(send_batch_size_sum)', (v) => v >= 1],
        ['count(send_batch_phase_seconds_count)', (v) => v === 3], // queued, redis, statement
        ['sum(socket_events_total{event="message:send",outcome="ok"})', (v) => v >= 1],
        ['sum(socket_events_total{event="message:send",outcome="error"})', (v) => v >= 1],
        ['sum(socket_connected)', (v) => v >= 1],
        ['sum(http_requests_total{route="/api/chats/direct",method="POST"})', (v) => v >= 1],
        ['count(http_request_duration_seconds_bucket)', (v) => v > 0],
        ['min(redis_up)', (v) => v === 1],
        ['sum(db_pool_connections{state="total"})', (v) => v >= 1],
        ['count(notifications_queue_jobs)', (v) => v === 4],
        ['count(nodejs_eventloop_lag_seconds)', (v) => v === 2],
      ];
      for (const [query, ok] of expectations) {
        const deadline = Date.now() + 30000;
        let v = await value(query);
        while (!(v !== undefined && ok(v)) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 300));
          v = await value(query);
        }
        expect({ query, ok: v !== undefined && ok(v), value: v }).toEqual({ query, ok: true, value: v });
      }
      // Route labels are patterns, never raw URLs with ids in them.
      const routes = await prometheus.api<{ result: { metric: { route: string } }[] }>(
        `query?query=${encodeURIComponent('http_requests_total')}`,
      );
      expect(routes.result.every((r) => !/[0-9a-f]{8}-[0-9a-f]{4}/.test(r.metric.route))).toBe(true);
    } finally {
      socket.close();
    }
  });
});
