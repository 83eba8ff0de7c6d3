import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, Server } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse, stringify } from 'yaml';
import { freePort, Proc, waitForHttp } from './processes';

const ROOT = join(__dirname, '..', '..');
export const PROMETHEUS_DIR = join(ROOT, 'ops', 'prometheus');

export function promtool(...args: string[]): string {
  return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface RunningPrometheus {
  url: string;
  proc: Proc;
  /** GET /api/v1/<path>, returning `data` (throws on an API error). */
  api<T = any>(path: string): Promise<T>;
  stop(): Promise<void>;
}

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  [discovery: string]: unknown;
}

/**
 * The real Prometheus on the shipped ops/prometheus/prometheus.yml, with each job's service discovery
 * replaced by the given local targets (host:port) and a 1 s scrape and evaluation interval; its own data
 * directory in a temp folder, listening on 127.0.0.1. Every job of the shipped file must be given targets
 * (the "prometheus" job is Prometheus itself), so the test and the file cannot drift apart.
 */
export async function startPrometheus(targets: Record<string, string[]>): Promise<RunningPrometheus> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'messenger-prometheus-'));
  const shipped = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
    rule_files?: string[];
    scrape_configs: ScrapeConfig[];
  };
  const wanted: Record<string, string[]> = { prometheus: [`127.0.0.1:${port}`], ...targets };
  const jobs = shipped.scrape_configs.map((c) => c.job_name);
  const unknown = Object.keys(wanted).filter((job) => !jobs.includes(job));
  const missing = jobs.filter((job) => !wanted[job]);
  if (unknown.length || missing.length)
    throw new Error(
      `targets for jobs ${JSON.stringify(unknown)} not in prometheus.yml; none for ${JSON.stringify(missing)}`,
    );

  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: (shipped.rule_files ?? []).map((f) => join(PROMETHEUS_DIR, f)),
    scrape_configs: shipped.scrape_configs.map((c) => ({
      job_name: c.job_name,
      metrics_path: c.metrics_path ?? '/metrics',
      static_configs: [{ targets: wanted[c.job_name] }],
    })),
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  promtool('check', 'config', configFile);

  const proc = Proc.spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    process.env,
    dir,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`, proc, 30000);
  return {
    url,
    proc,
    async api(path) {
      const res = await fetch(`${url}/api/v1/${path}`);
      const body = (await res.json()) as { status: string; data: any; error?: string };
      if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
      return body.data;
    },
    async stop() {
      await proc.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A tiny HTTP server answering /metrics with a Prometheus text exposition that it renders per scrape. */
export function startExposition(
  render: (scrape: number) => string,
): Promise<{ server: Server; target: string }> {
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      return res.end();
    }
    scrapes += 1;
    res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    res.end(render(scrapes));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, target: `127.0.0.1:${(server.address() as { port: number }).port}` }),
    ),
  );
}
