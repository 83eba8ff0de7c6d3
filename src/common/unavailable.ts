import { QueryFailedError } from 'typeorm';

/** Seconds a client should wait before retrying after an outage answer (503 Retry-After / ack retryAfter). */
export const UNAVAILABLE_RETRY_AFTER_SEC = 2;

// PostgreSQL SQLSTATEs that mean "the database is not serving you right now", not "your request is wrong":
// connection exceptions (08), shutdowns and "cannot connect now" (57P0x), statement timeout / cancel (57014),
// insufficient resources (53), the read-only state of a failing-over server (25006), and a transaction that
// lost a race with another (40001 serialization failure, 40P01 deadlock), for which retrying is the answer too.
const PG_UNAVAILABLE = /^(08|53|57P0[1-4]|57014|25006|40001|40P01)/;
const NODE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const MESSAGES = [
  /Connection terminated/i, // pg: server went away mid-query
  /timeout exceeded when trying to connect/i, // pg pool: no connection within connectionTimeoutMillis
  /Query read timeout/i, // pg: query_timeout
  /Client has encountered a connection error/i,
  /Connection is closed/i, // ioredis
  /Reached the max retries per request limit/i, // ioredis MaxRetriesPerRequestError
  /Command timed out/i, // ioredis commandTimeout
  /Stream isn't writeable/i, // ioredis, offline queue off
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/** An outage-class failure raised by the app itself (answered like any other outage: 503 / UNAVAILABLE). */
export class UnavailableError extends Error {}

/**
 * Whether an error means PostgreSQL or Redis is unreachable or too slow (an outage: 503, retry later) rather
 * than a bug (500) or a bad request. The one place that decides it, for REST, sockets and handshakes.
 */
export function isUnavailable(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && depth < 4; e = e.cause ?? e.driverError, depth++) {
    if (e instanceof UnavailableError) return true;
    if (e instanceof QueryFailedError && e.driverError) continue;
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (NODE_UNAVAILABLE.has(code) || PG_UNAVAILABLE.test(code))) return true;
    if (e.name === 'MaxRetriesPerRequestError') return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/** A deadlock or serialization failure: this transaction lost a race, the database itself is fine. */
export function isLostRace(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && depth < 4; e = e.cause ?? e.driverError, depth++)
    if (e.code === '40001' || e.code === '40P01') return true;
  return false;
}

/**
 * PostgreSQL or Redis is down or stalled: what is waiting for the same server would wait in vain, and a
 * statement that failed so may still have committed. Not a lost race (that transaction surely rolled back,
 * and the next one may well go through).
 */
export function isOutage(err: unknown): boolean {
  return isUnavailable(err) && !isLostRace(err);
}
