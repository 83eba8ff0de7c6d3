import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/app-config';

const ROOT = join(__dirname, '..');

interface Service {
  environment?: Record<string, string>;
  ports?: (string | { published: string | number; target: number; host_ip?: string })[];
  networks?: Record<string, { ipv4_address?: string } | null>;
  volumes?: (string | { source: string; target: string })[];
  profiles?: string[];
}
interface Rendered {
  services: Record<string, Service>;
  networks: Record<string, { ipam?: { config?: { subnet: string; ip_range?: string }[] } }>;
}

/** `docker-compose config` (v1 or v2, through scripts/lib.sh) with only the given env file and environment. */
function composeConfig(envFile: Record<string, string>, profiles: string[] = []): Rendered {
  const dir = mkdtempSync(join(tmpdir(), 'messenger-compose-'));
  try {
    const file = join(dir, 'env');
    writeFileSync(
      file,
      Object.entries(envFile)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    const args = ['--env-file', file, '-f', join(ROOT, 'docker-compose.yml')];
    for (const p of profiles) args.push('--profile', p);
    const out = execFileSync('bash', ['-c', '. scripts/lib.sh && compose "$@" config', '_', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? dir },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const rendered = parse(out) as Rendered;
    // Compose v1 lists services of inactive profiles too; `up` would not start them.
    for (const [name, service] of Object.entries(rendered.services))
      if (service.profiles && !service.profiles.some((p) => profiles.includes(p)))
        delete rendered.services[name];
    return rendered;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "127.0.0.1:5432:5432" or v2's long form, as [host_ip, published, target]. */
function portsOf(service: Service): string[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'string') {
      const parts = p.replace(/\/tcp$/, '').split(':');
      return parts.length === 3 ? parts.join(':') : `0.0.0.0:${parts.join(':')}`;
    }
    return `${p.host_ip ?? '0.0.0.0'}:${p.published}:${p.target}`;
  });
}

/** The app's settings in .env.example: everything above its "Docker only" section. */
function exampleVariables(): string[] {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const appPart = text.slice(0, text.indexOf('# Docker only'));
  return [...appPart.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * Every environment variable the code reads: process.env.X / env.X / env['X'] anywhere in src, and the
 * names passed to src/config's readers as `(env, 'X', ...)`.
 */
function variablesTheCodeReads(): string[] {
  const names = new Set<string>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\benv(?:\.|\[['"])([A-Z][A-Z0-9_]*)/g)) names.add(m[1]);
    for (const m of text.matchAll(/\(\s*env\s*,\s*['"]([A-Z][A-Z0-9_]*)['"]/g)) names.add(m[1]);
  }
  return [...names].sort();
}

// What compose decides for the containers itself, whatever .env says (see docker-compose.yml).
const PINNED: Record<string, string> = {
  NODE_ENV: 'production',
  PORT: '3000',
  DATABASE_URL: 'postgres://postgres:postgres@postgres:5432/messenger',
  REDIS_URL: 'redis://redis:6379',
  METRICS_PORT: '9464',
};

describe('docker-compose.yml (rendered by docker-compose config)', () => {
  let base: Rendered;
  beforeAll(() => {
    base = composeConfig({});
  });

  it('publishes only Nginx in the full stack; PostgreSQL and Redis ports only in the dev profile', () => {
    expect(Object.keys(base.services).sort()).toEqual([
      'api',
      'nginx',
      'postgres',
      'prometheus',
      'redis',
      'worker',
    ]);
    const published = Object.fromEntries(
      Object.entries(base.services).map(([name, s]) => [name, portsOf(s)]),
    );
    expect(published).toEqual({
      api: [],
      nginx: ['0.0.0.0:80:80'],
      postgres: [],
      prometheus: [],
      redis: [],
      worker: [],
    });

    const dev = composeConfig({}, ['dev']);
    expect(portsOf(dev.services['postgres-dev'])).toEqual(['127.0.0.1:5432:5432']);
    expect(portsOf(dev.services['redis-dev'])).toEqual(['127.0.0.1:6379:6379']);
    expect(portsOf(dev.services.postgres)).toEqual([]);

    const monitoring = composeConfig({ GRAFANA_PORT: '3999' }, ['monitoring']);
    expect(portsOf(monitoring.services.grafana)).toEqual(['127.0.0.1:3999:3000']);
    expect(monitoring.services['postgres-dev']).toBeUndefined();
  });

  it('passes every setting of .env.example to the API and the worker', () => {
    const variables = exampleVariables();
    expect(variables.length).toBeGreaterThanOrEqual(25);
    // A distinct value per variable, to see each one arrive.
    const markers = Object.fromEntries(variables.map((v, i) => [v, `marker-${i}-${v.toLowerCase()}`]));
    const rendered = composeConfig(markers);
    for (const service of ['api', 'worker']) {
      const env = rendered.services[service].environment ?? {};
      const expected = Object.fromEntries(
        variables.map((v) => [
          v,
          // TRUST_PROXY is Nginx's address whatever .env says (checked below).
          v === 'TRUST_PROXY'
            ? rendered.services.nginx.networks!.edge!.ipv4_address
            : (PINNED[v] ?? markers[v]),
        ]),
      );
      expect({ service, env: Object.fromEntries(variables.map((v) => [v, env[v]])) }).toEqual({
        service,
        env: expected,
      });
    }
  });

  it('lists in .env.example every variable the code reads', () => {
    const read = variablesTheCodeReads();
    expect(read).toEqual(expect.arrayContaining(['DATABASE_URL', 'JWT_SECRET', 'TRUST_PROXY']));
    expect(read.filter((v) => !exampleVariables().includes(v))).toEqual([]);
  });

  it("leaves each setting to the app's default when .env has none (empty means unset), and the result is valid", () => {
    const env = base.services.api.environment!;
    const secret = { JWT_SECRET: 'x'.repeat(40) };
    const withEmpties = loadConfig({ ...env, ...secret });
    const withoutEmpties = loadConfig({
      ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')),
      ...secret,
    });
    expect(withEmpties).toEqual(withoutEmpties);
    expect(withEmpties.nodeEnv).toBe('production');
    // The default PUBLIC_URL is the address Nginx publishes (HTTP_PORT 80), so Telegram links work.
    expect(withEmpties.publicUrl).toBe('http://localhost');
    expect(portsOf(base.services.nginx)).toEqual(['0.0.0.0:80:80']);
    // Nginx refuses bodies at the same size as the API.
    expect(Number(base.services.nginx.environment!.BODY_LIMIT_BYTES)).toBe(withEmpties.bodyLimitBytes);
    expect(env.SEED_DEMO).toBe('false');
  });

  it('trusts X-Forwarded-For from Nginx alone: a fixed address that Docker never hands to another container', () => {
    const edge = base.networks.edge.ipam!.config![0];
    const nginxAddress = base.services.nginx.networks!.edge!.ipv4_address!;
    for (const service of ['api', 'worker'])
      expect(base.services[service].environment!.TRUST_PROXY).toBe(nginxAddress);
    const toInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    const inCidr = (ip: string, cidr: string) => {
      const [net, bits] = cidr.split('/');
      const size = 2 ** (32 - Number(bits));
      return Math.floor(toInt(ip) / size) === Math.floor(toInt(net) / size);
    };
    expect(inCidr(nginxAddress, edge.subnet)).toBe(true);
    expect(edge.ip_range).toBeDefined();
    expect(inCidr(nginxAddress, edge.ip_range!)).toBe(false);
    const onEdge = Object.entries(base.services)
      .filter(([, s]) => s.networks && 'edge' in s.networks)
      .map(([name]) => name)
      .sort();
    expect(onEdge).toEqual(['api', 'nginx']);
  });

  it('renders every Nginx template variable, and scrapes the ports the processes listen on', () => {
    const nginx = base.services.nginx.environment!;
    const filter = new RegExp(nginx.NGINX_ENVSUBST_FILTER.replace(/\$\$/g, '$'));
    const templates = readdirSync(join(ROOT, 'nginx', 'templates'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.template'));
    const used = new Set(
      templates
        .flatMap((f) => [
          ...readFileSync(join(ROOT, 'nginx', 'templates', f), 'utf8').matchAll(/\$\{(\w+)\}/g),
        ])
        .map((m) => m[1]),
    );
    for (const name of used) {
      expect({ name, filtered: filter.test(name), set: name in nginx }).toEqual({
        name,
        filtered: true,
        set: true,
      });
    }

    const prometheus = parse(readFileSync(join(ROOT, 'ops', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: {
        job_name: string;
        dns_sd_configs?: { names: string[]; port: number }[];
        static_configs?: { targets: string[] }[];
      }[];
    };
    const job = (name: string) => prometheus.scrape_configs.find((c) => c.job_name === name)!;
    expect(job('api').dns_sd_configs).toEqual([
      expect.objectContaining({ names: ['api'], type: 'A', port: 3000 }),
    ]);
    expect(String(job('api').dns_sd_configs![0].port)).toBe(base.services.api.environment!.PORT);
    expect(job('worker').static_configs![0].targets).toEqual([
      `worker:${base.services.worker.environment!.METRICS_PORT}`,
    ]);

    // The mounted files exist where compose looks for them.
    const mounts = (s: Service) =>
      (s.volumes ?? [])
        .map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source))
        .filter((p) => p.startsWith('/'));
    const monitoring = composeConfig({}, ['monitoring']);
    for (const service of ['nginx', 'prometheus', 'grafana'])
      for (const path of mounts(monitoring.services[service]))
        expect({ path, exists: existsSync(path) }).toEqual({ path, exists: true });
  });
});
