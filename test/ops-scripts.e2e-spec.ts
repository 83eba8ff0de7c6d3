import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const ROOT = join(__dirname, '..');
const BASH = '/bin/bash';

/** Runs a snippet with scripts/lib.sh sourced, from the repository root. */
function withLib(script: string, env: Record<string, string>, cwd = ROOT) {
  const result = spawnSync(BASH, ['-c', `. '${join(ROOT, 'scripts', 'lib.sh')}' && ${script}`], {
    cwd,
    env,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A directory of stand-in programs that log how they were called. */
function stubs(programs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'messenger-stubs-'));
  for (const [name, body] of Object.entries(programs)) {
    writeFileSync(join(dir, name), `#!${BASH}\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe('scripts/lib.sh', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('compose() runs Compose v2 when the docker plugin has it, else docker-compose v1, else says neither', () => {
    const v2 = stubs({ docker: 'echo "docker $*"', 'docker-compose': 'echo "docker-compose $*"' });
    const v1 = stubs({
      docker: '[ "$1" = compose ] && exit 1; echo "docker $*"',
      'docker-compose': 'echo "docker-compose $*"',
    });
    const none = stubs({ docker: 'exit 1' });
    dirs.push(v2, v1, none);
    expect(withLib('compose --profile dev config -q', { PATH: v2 }).stdout).toBe(
      'docker compose --profile dev config -q\n',
    );
    expect(withLib('compose --profile dev config -q', { PATH: v1 }).stdout).toBe(
      'docker-compose --profile dev config -q\n',
    );
    const neither = withLib('compose config', { PATH: none });
    expect(neither.status).toBe(127);
    expect(neither.stderr).toMatch(/docker compose.*v2.*docker-compose.*v1/);
  });

  it('load_env_file() reads .env without overriding what the environment already sets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'messenger-env-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, '.env'),
      [
        '# a comment',
        'PLAIN=value # trailing comment',
        'QUOTED="two words # not a comment"',
        "SINGLE='x=1'",
        'export EXPORTED=yes',
        'EMPTY=',
        'FROM_SHELL=from-file',
        'WINDOWS=crlf\r',
        'not a setting',
        '',
      ].join('\n'),
    );
    const out = withLib(
      'load_env_file .env && for v in PLAIN QUOTED SINGLE EXPORTED EMPTY FROM_SHELL WINDOWS; do echo "$v=[${!v-unset}]"; done',
      { PATH: process.env.PATH!, FROM_SHELL: 'from-shell' },
      dir,
    );
    expect(out.stdout.trim().split('\n')).toEqual([
      'PLAIN=[value]',
      'QUOTED=[two words # not a comment]',
      'SINGLE=[x=1]',
      'EXPORTED=[yes]',
      'EMPTY=[]',
      'FROM_SHELL=[from-shell]',
      'WINDOWS=[crlf]',
    ]);
  });
});

describe('operations scripts', () => {
  const files = [
    ...readdirSync(join(ROOT, 'scripts')).map((f) => join('scripts', f)),
    join('.ci', 'run'),
    join('docker', 'Dockerfile'),
  ];
  const lines = files.flatMap((file) =>
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .map((text, i) => ({ where: `${file}:${i + 1}`, text })),
  );

  it('install system packages without recommended ones (which would bring daemons: docker.io, ...)', () => {
    const installs = lines.filter(
      (l) => /apt-get\s+(?:\S+\s+)*install\b/.test(l.text) && !/^\s*#/.test(l.text),
    );
    expect(installs.length).toBeGreaterThan(0);
    expect(installs.filter((l) => !l.text.includes('--no-install-recommends')).map((l) => l.where)).toEqual(
      [],
    );
  });

  it('call Docker Compose only through the helper that knows both v1 and v2', () => {
    const direct = lines.filter(
      (l) =>
        !l.where.startsWith(join('scripts', 'lib.sh')) &&
        /(^|[;&|(]|\$\()\s*(docker compose|docker-compose)\s/.test(l.text) &&
        !/^\s*#/.test(l.text),
    );
    expect(direct.map((l) => `${l.where}: ${l.text.trim()}`)).toEqual([]);
  });

  it('install npm packages with npm ci (the lockfile exactly), never npm install', () => {
    const installs = lines.filter((l) => /\bnpm (ci|install|i)\b/.test(l.text) && !/^\s*#/.test(l.text));
    expect(installs.length).toBeGreaterThan(0);
    expect(installs.filter((l) => /\bnpm (install|i)\b/.test(l.text)).map((l) => l.where)).toEqual([]);
  });

  it('start.sh refuses a SEED_DEMO that is neither true nor false, before touching the database', () => {
    const result = spawnSync(BASH, [join(ROOT, 'scripts', 'start.sh'), 'api'], {
      env: { PATH: process.env.PATH!, SEED_DEMO: 'yes', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('SEED_DEMO must be true or false');
  });
});
