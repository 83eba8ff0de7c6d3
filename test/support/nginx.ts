import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Proc } from './processes';

const ROOT = join(__dirname, '..', '..');
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';

/** envsubst as the nginx image runs it: only the named variables; nginx's own $variables stay. */
export function renderTemplate(vars: Record<string, string>): string {
  const template = readFileSync(join(ROOT, 'nginx', 'templates', 'default.conf.template'), 'utf8');
  return template.replace(/\$\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** The project's Nginx config, rendered for local upstreams, in a scratch prefix the test owns. */
export function writeNginxConfig(port: number, apiPorts: number[]): { dir: string; conf: string } {
  const dir = mkdtempSync(join(tmpdir(), 'messenger-nginx-'));
  mkdirSync(join(dir, 'logs'));
  const site = renderTemplate({
    NGINX_PORT: `127.0.0.1:${port}`,
    CLIENT_ROOT: join(ROOT, 'client'),
    API_UPSTREAM_SERVERS: apiPorts.map((p) => `server 127.0.0.1:${p};`).join(' '),
  }).replace('access_log /dev/stdout upstream;', `access_log ${join(dir, 'logs', 'access.log')} upstream;`);
  writeFileSync(join(dir, 'site.conf'), site);
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
  include ${join(dir, 'site.conf')};
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
