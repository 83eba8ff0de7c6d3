import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, relative } from 'path';
import { Proc } from './processes';

const ROOT = join(__dirname, '..', '..');
const TEMPLATES = join(ROOT, 'nginx', 'templates');
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';

/** envsubst as the nginx image runs it: only the named variables; nginx's own $variables stay. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

function templatesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return templatesUnder(path);
    return name.endsWith('.template') ? [path] : [];
  });
}

/**
 * The project's Nginx config, rendered for local upstreams, in a scratch prefix the test owns. Like the
 * nginx image: every nginx/templates/**\/*.template becomes conf.d/** without the suffix, and nginx.conf
 * includes conf.d/*.conf (the snippets in conf.d/snippets/ only where the site config includes them).
 */
export function writeNginxConfig(
  port: number,
  apiPorts: number[],
  vars: Record<string, string> = {},
): { dir: string; conf: string } {
  const dir = mkdtempSync(join(tmpdir(), 'messenger-nginx-'));
  mkdirSync(join(dir, 'logs'));
  const values = {
    NGINX_PORT: `127.0.0.1:${port}`,
    CLIENT_ROOT: join(ROOT, 'client'),
    API_UPSTREAM_SERVERS: apiPorts.map((p) => `server 127.0.0.1:${p};`).join(' '),
    BODY_LIMIT_BYTES: '65536',
    ...vars,
  };
  for (const template of templatesUnder(TEMPLATES)) {
    const target = join(dir, 'conf.d', relative(TEMPLATES, template).replace(/\.template$/, ''));
    mkdirSync(dirname(target), { recursive: true });
    const rendered = renderTemplate(readFileSync(template, 'utf8'), values).replace(
      'access_log /dev/stdout upstream;',
      `access_log ${join(dir, 'logs', 'access.log')} upstream;`,
    );
    const unrendered = rendered.match(/\$\{\w+\}/);
    if (unrendered) throw new Error(`${template}: no value for ${unrendered[0]}`);
    writeFileSync(target, rendered);
  }
  // What the nginx image's own nginx.conf provides around conf.d/*.conf.
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  include conf.d/*.conf;
}
`,
  );
  return { dir, conf };
}

export function nginxTest(conf: string, dir: string): string {
  return execFileSync(NGINX, ['-t', '-p', dir, '-c', conf], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function startNginx(conf: string, dir: string): Proc {
  return Proc.spawn(NGINX, ['-p', dir, '-c', conf], process.env);
}

export function accessLog(dir: string): string {
  const file = join(dir, 'logs', 'access.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
