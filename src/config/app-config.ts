import ms from 'ms';
import proxyaddr from 'proxy-addr';

/** Used only outside production; `NODE_ENV=production` refuses to start with it. */
export const DEV_JWT_SECRET = 'dev-only-insecure-jwt-secret-change-me';

export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  databaseUrl: string;
  redisUrl: string;
  jwtSecret: string;
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  telegram: { botToken?: string; botUsername?: string; apiRoot: string };
  notifyDelayMs: number;
  publicUrl: string;
  throttle: {
    authPerMinute: number;
    sendPer10s: number;
    /** Failed logins per login name and client IP, and per login name from anywhere, per LOGIN_WINDOW. */
    loginFailuresPerAccountIp: number;
    loginFailuresPerAccount: number;
  };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bcryptRounds: number;
  bodyLimitBytes: number;
  /** Express "trust proxy": false (trust nothing), a hop count, or a list of addresses/CIDRs/names. */
  trustProxy: boolean | number | string[];
  docsEnabled: boolean;
  groupMaxMembers: number;
  maxSocketsPerUser: number;
  /** An API instance whose heartbeat is older than this is dead: its sockets are swept (presence). */
  instanceTtlMs: number;
  /** How long a SIGTERM waits for in-flight work (sends, requests) before closing anyway. */
  shutdownDrainMs: number;
  /** PostgreSQL statement timeout (server side) and, a little longer, the client-side query timeout. */
  dbStatementTimeoutMs: number;
  /** The worker's /metrics port (the API serves /metrics on its own port). */
  metricsPort: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = read(env, name) ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = read(env, name) ?? fallback;
  // `ms` accepts "15m", "30d", "3600s"; a bare number is taken as seconds, like jsonwebtoken does.
  const millis = /^\d+$/.test(raw) ? Number(raw) * 1000 : ms(raw as ms.StringValue);
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis < 1000) {
    throw new ConfigError(name, `must be a duration such as "15m" or "30d" (at least 1s), got "${raw}"`);
  }
  return Math.floor(millis / 1000);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/**
 * Whose X-Forwarded-For to believe. Default: nobody, so a client reaching the API port directly cannot pick
 * its own address and walk past per-IP limits; behind Nginx, name Nginx's network (compose does).
 */
function trustProxy(env: Env): AppConfig['trustProxy'] {
  const raw = read(env, 'TRUST_PROXY');
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(list);
  } catch (err) {
    throw new ConfigError(
      'TRUST_PROXY',
      `must be false, a hop count, or addresses/CIDRs/loopback/linklocal/uniquelocal separated by commas (${(err as Error).message})`,
    );
  }
  return list;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = (read(env, name) ?? fallback) as T;
  if (!allowed.includes(raw))
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw;
}

/** Parses and validates the environment once; any wrong value throws a ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const jwtSecret = read(env, 'JWT_SECRET');
  if (nodeEnv === 'production') {
    if (!jwtSecret || jwtSecret === DEV_JWT_SECRET) {
      throw new ConfigError(
        'JWT_SECRET',
        'is required when NODE_ENV=production (and must not be the dev default)',
      );
    }
    if (jwtSecret.length < 32)
      throw new ConfigError('JWT_SECRET', 'must be at least 32 characters in production');
  }
  const botUsername = read(env, 'TELEGRAM_BOT_USERNAME');
  if (botUsername !== undefined && !/^[A-Za-z0-9_]{3,64}$/.test(botUsername)) {
    throw new ConfigError(
      'TELEGRAM_BOT_USERNAME',
      `must be a Telegram username without "@", got "${botUsername}"`,
    );
  }
  const botToken = read(env, 'TELEGRAM_BOT_TOKEN');
  if (botToken !== undefined && !/^\d+:[A-Za-z0-9_-]+$/.test(botToken)) {
    throw new ConfigError('TELEGRAM_BOT_TOKEN', 'must look like "123456:ABC-DEF..." as issued by @BotFather');
  }

  return {
    nodeEnv,
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://postgres:postgres@localhost:5432/messenger', [
      'postgres:',
      'postgresql:',
    ]),
    redisUrl: url(env, 'REDIS_URL', 'redis://localhost:6379', ['redis:', 'rediss:']),
    jwtSecret: jwtSecret ?? DEV_JWT_SECRET,
    accessTokenTtlSec: duration(env, 'ACCESS_TOKEN_TTL', '15m'),
    refreshTokenTtlSec: duration(env, 'REFRESH_TOKEN_TTL', '30d'),
    telegram: {
      botToken,
      botUsername,
      apiRoot: url(env, 'TELEGRAM_API_ROOT', 'https://api.telegram.org', ['http:', 'https:']).replace(
        /\/+$/,
        '',
      ),
    },
    notifyDelayMs: int(env, 'NOTIFY_DELAY_MS', 10000, 0, 24 * 3600 * 1000),
    publicUrl: url(env, 'PUBLIC_URL', 'http://localhost:3000', ['http:', 'https:']).replace(/\/+$/, ''),
    throttle: {
      authPerMinute: int(env, 'THROTTLE_AUTH_PER_MINUTE', 20, 1, 1_000_000),
      sendPer10s: int(env, 'THROTTLE_SEND_PER_10S', 100, 1, 1_000_000),
      loginFailuresPerAccountIp: int(env, 'THROTTLE_LOGIN_FAILURES_PER_ACCOUNT_IP', 10, 1, 1_000_000),
      loginFailuresPerAccount: int(env, 'THROTTLE_LOGIN_FAILURES_PER_ACCOUNT', 100, 1, 1_000_000),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', nodeEnv === 'test' ? 'warn' : 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    bcryptRounds: int(env, 'BCRYPT_ROUNDS', 10, 4, 15),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    trustProxy: trustProxy(env),
    docsEnabled: bool(env, 'DOCS_ENABLED', true),
    groupMaxMembers: int(env, 'GROUP_MAX_MEMBERS', 1000, 2, 100_000),
    maxSocketsPerUser: int(env, 'MAX_SOCKETS_PER_USER', 20, 1, 1000),
    instanceTtlMs: int(env, 'PRESENCE_INSTANCE_TTL_MS', 15_000, 1000, 600_000),
    shutdownDrainMs: int(env, 'SHUTDOWN_DRAIN_MS', 10_000, 0, 600_000),
    dbStatementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 5000, 100, 600_000),
    metricsPort: int(env, 'METRICS_PORT', 9464, 0, 65535),
  };
}
