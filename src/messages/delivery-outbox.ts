import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

const OUTBOX = 'delivery:outbox';
/** A batch not acknowledged this long after it was recorded is published again, by whichever instance looks. */
export const REDELIVER_AFTER_MS = 1500;
/** How long an entry Redis did not take is written again (DeliveryOutbox.begin) before it is given up. */
export const REWRITE_FOR_MS = 10 * 60_000;
/** A write unanswered this long means Redis is slow: send batches wait for its answers again (answering()). */
export const SLOW_WRITE_MS = 250;
/** And for this long after a write failed. */
export const WAIT_AFTER_FAILED_WRITE_MS = 5000;

// Claims up to ARGV[3] entries older than ARGV[2] ms (ARGV[1] = now) by renewing their score: another sweeper
// sees them again only if this one also dies before acknowledging them. The entries whose batch ids are
// ARGV[4..] are left alone (neither returned nor renewed): the caller's own unsettled entries (being stored,
// published or acknowledged). Batch ids rather than whole entries: an entry carries up to 128 message ids.
const CLAIM = `
local skip = {}
for i = 4, #ARGV do skip[ARGV[i]] = true end
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2], 'LIMIT', 0, ARGV[3] + #ARGV - 3)
local claimed = {}
for _, entry in ipairs(stale) do
  local batch = string.sub(entry, 1, (string.find(entry, '|', 1, true) or 0) - 1)
  if not skip[batch] and #claimed < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[1], entry)
    claimed[#claimed + 1] = entry
  end
end
return claimed`;

/**
 * What makes "committed" imply "delivered live": before a batch of sends goes to PostgreSQL, its message ids
 * are written here (the statement follows the write without waiting for Redis's answer: see begin); once
 * Redis has answered the messages' publication (to the other instances), the entry is acknowledged, so an
 * acknowledgement never clears messages that did not go out. An entry left behind (the instance died, or
 * stalled, between the commit and the publish) is published again by another instance within about
 * REDELIVER_AFTER_MS. An entry whose messages are not (yet) stored may belong to a statement still queued in
 * front of a stalled PostgreSQL: the sweeper fences it (send_fences) before it gives up on it, so that
 * statement can no longer commit. Clients de-duplicate by message id, as the contract says.
 *
 * An entry is `batchId|recordedAtMs|id,id,...`; the batch id is the one the statement writes to send_fences.
 */
@Injectable()
export class DeliveryOutbox {
  /**
   * Entries this instance recorded and has not settled yet: their batch is being stored, published or
   * acknowledged here (see claimStale). Each leaves by ack() or release().
   */
  private readonly ours = new Set<string>();
  private readonly logger = new Logger(DeliveryOutbox.name);
  /**
   * Every entry being written (by begin() or record()) and not taken by Redis yet, oldest first: since when
   * (performance.now() of its first write) and, for begin(), the promise of its being taken.
   */
  private readonly writing = new Map<string, { since: number; taken?: Promise<void> }>();
  private lastFailedWrite = -Infinity;

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /**
   * Writes the entry to Redis now, without waiting for its answer: the send batcher sends its statement right
   * after, so the entry is written to Redis's connection before the statement is sent to PostgreSQL, and the
   * two round trips overlap. Only while Redis answers promptly (`answering()`). If Redis does not take the
   * entry (the connection broke under it, a stall outlived the command timeout) the statement may have
   * committed all the same, so the entry is written again, with backoff, until Redis takes it (for up to
   * REWRITE_FOR_MS); an acknowledgement of the entry waits for that, so that it cannot overtake it.
   */
  begin(messageIds: string[]): { entry: string; recorded: Promise<void> } {
    const now = Date.now();
    const entry = this.newEntry(now, messageIds);
    const recorded = this.writeUntilTaken(entry, now);
    this.writing.get(entry)!.taken = recorded; // set by the first write, which is waiting for Redis now
    return { entry, recorded };
  }

  /** Records the entry and waits for Redis's answer (for callers whose statement must not start before it). */
  async record(messageIds: string[]): Promise<string> {
    const now = Date.now();
    const entry = this.newEntry(now, messageIds);
    try {
      await this.write(entry, now);
    } catch (err) {
      this.ours.delete(entry);
      throw err;
    } finally {
      this.writing.delete(entry);
    }
    return entry;
  }

  /**
   * Whether an entry written now would be taken at once: the connection is up, no write has been waiting for
   * SLOW_WRITE_MS and none failed in the last WAIT_AFTER_FAILED_WRITE_MS. A stalled Redis keeps its connection
   * "ready"; were batches to go on committing beside unanswered writes, their delivery would rest on this
   * process alone for as long as the stall lasts.
   */
  answering(): boolean {
    if (this.redis.status !== 'ready') return false;
    const now = performance.now();
    if (now - this.lastFailedWrite < WAIT_AFTER_FAILED_WRITE_MS) return false;
    const oldest = this.writing.values().next();
    return oldest.done === true || now - oldest.value.since < SLOW_WRITE_MS;
  }

  /** Resolves once Redis has taken every entry written by begin(), or after `withinMs` (graceful shutdown). */
  async flushed(withinMs: number): Promise<void> {
    const taking = [...this.writing.values()].flatMap((w) => w.taken ?? []);
    if (taking.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(taking),
      new Promise((resolve) => (timer = setTimeout(resolve, withinMs))),
    ]);
    clearTimeout(timer);
  }

  private newEntry(now: number, messageIds: string[]): string {
    const entry = `${randomUUID()}|${now}|${messageIds.join(',')}`;
    this.ours.add(entry);
    return entry;
  }

  private async write(entry: string, score: number): Promise<void> {
    if (!this.writing.has(entry)) this.writing.set(entry, { since: performance.now() });
    try {
      await this.redis.zadd(OUTBOX, score, entry);
    } catch (err) {
      this.lastFailedWrite = performance.now();
      throw err;
    }
  }

  private async writeUntilTaken(entry: string, score: number): Promise<void> {
    const giveUpAt = Date.now() + REWRITE_FOR_MS;
    try {
      for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
        try {
          return await this.write(entry, score);
        } catch (err) {
          if (Date.now() + wait > giveUpAt) {
            this.logger.error(
              `outbox entry not written: messages ${DeliveryOutbox.idsOf(entry).join(',')} reach other ` +
                `instances' clients only when those catch up (${String(err)})`,
            );
            throw err;
          }
          await new Promise((resolve) => setTimeout(resolve, wait).unref());
        }
      }
    } finally {
      this.writing.delete(entry);
    }
  }

  /**
   * This instance will not publish the entry's messages (its statement failed, whether or not it committed):
   * from now on any sweeper settles it, this instance's own included.
   */
  release(entry: string): void {
    this.ours.delete(entry);
  }

  /**
   * `via`: the connection that published the messages (the default client when nothing was published). An
   * entry whose write Redis has not taken yet is removed once it has (see begin): removed before, it would be
   * written back after, and its messages published again by a sweeper.
   */
  async ack(entries: string | string[], via: Redis = this.redis): Promise<void> {
    const list = typeof entries === 'string' ? [entries] : entries;
    const written: string[] = [];
    const late: Promise<void>[] = [];
    for (const e of list) {
      const taken = this.writing.get(e)?.taken;
      if (!taken) written.push(e);
      else {
        const never = () => void this.ours.delete(e); // Redis never took it: nothing to remove
        late.push(taken.then(() => this.remove([e], via), never));
      }
    }
    await Promise.all([this.remove(written, via), ...late]);
  }

  private async remove(list: string[], via: Redis): Promise<void> {
    try {
      if (list.length) await via.zrem(OUTBOX, ...list);
    } finally {
      for (const entry of list) this.ours.delete(entry);
    }
  }

  /**
   * Claims entries nobody acknowledged within REDELIVER_AFTER_MS, except this instance's own unsettled ones:
   * such an entry is late, not left behind. After a stall of this process (a long GC, a starved CPU) its
   * entries are older than REDELIVER_AFTER_MS when the sweeper wakes up — whether their statement's answer is
   * still unread in a socket buffer or their acknowledgement has not gone out — and publishing them again
   * would deliver each of their messages twice to every recipient. They are taken at the moment the claim goes
   * out, so one settled before the claim is answered is still left alone; once a statement or an
   * acknowledgement has failed, the entry is claimable again (and claimed by the next sweep, its score being
   * older than REDELIVER_AFTER_MS by then).
   */
  async claimStale(limit = 20): Promise<string[]> {
    const ours = [...this.ours].map(DeliveryOutbox.batchIdOf);
    return (await this.redis.eval(
      CLAIM,
      1,
      OUTBOX,
      Date.now(),
      REDELIVER_AFTER_MS,
      limit,
      ...ours,
    )) as string[];
  }

  static batchIdOf(entry: string): string {
    return entry.split('|', 1)[0];
  }

  /**
   * When the entry was recorded. An entry written before the time was part of it (`batchId|ids`, by an
   * instance of the previous version during a rolling update) counts as old: it is settled at once.
   */
  static recordedAtOf(entry: string): number {
    const parts = entry.split('|');
    return parts.length === 3 ? Number(parts[1]) : 0;
  }

  static idsOf(entry: string): string[] {
    return entry.slice(entry.lastIndexOf('|') + 1).split(',');
  }
}
