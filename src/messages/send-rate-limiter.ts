import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RateLimiter } from '../redis/rate-limiter';

const WINDOW_MS = 10_000;
const key = (userId: string) => `send-rate:${userId}`;

/**
 * Units a take asks for beyond what its batch needs, to hold here for the sender's next sends: a tenth of the
 * limit, at most 16. Held units are counted in Redis like spent ones, so the limit across instances stays
 * exact; the price is that units one instance holds cannot be spent through another until the window ends
 * (a user sending from two devices on two instances may be refused up to this many sends early).
 */
export const spareUnits = (limit: number) => Math.min(16, Math.ceil(limit / 10));

/** Units taken from a sender's bucket in Redis and not spent yet, valid until that bucket's window ends. */
interface Held {
  units: number;
  /** performance.now() by which the window has certainly ended (the take's start + its PTTL). */
  until: number;
}

export type Grants = Map<string, { granted: number; retryAfterSec: number | null }>;

/**
 * THROTTLE_SEND_PER_10S per user, across instances, in fixed windows counted in Redis. A take goes to Redis
 * once for a whole batch of sends and asks for a few units more than it needs (spareUnits); those are held
 * here, so that most sends are granted without a round trip (takeHeld). Replays and refused sends give their
 * units back.
 */
@Injectable()
export class SendRateLimiter {
  private readonly held = new Map<string, Held>();
  /** Spare units that takes in flight are asking Redis for, per sender. */
  private readonly asking = new Map<string, number>();
  private nextPrune = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: RateLimiter,
  ) {}

  /** Grants every sender's count from the units held here, or (when any sender holds too few) nothing. */
  takeHeld(wanted: Map<string, number>): boolean {
    const now = performance.now();
    for (const [sender, count] of wanted) {
      const h = this.held.get(sender);
      if (!h || h.until <= now || h.units < count) return false;
    }
    for (const [sender, count] of wanted) this.spend(sender, count, now);
    return true;
  }

  /**
   * For each sender, how many of their `count` sends may go now, and how long the rest must wait: from the
   * units held here first, then from Redis (one call for all senders short of units).
   */
  async take(wanted: Map<string, number>): Promise<Grants> {
    const now = performance.now();
    this.prune(now);
    const grants: Grants = new Map();
    const short: { sender: string; fromHeld: number; heldUntil: number; need: number }[] = [];
    for (const [sender, count] of wanted) {
      const heldUntil = this.held.get(sender)?.until ?? 0;
      const fromHeld = this.spend(sender, count, now);
      if (fromHeld === count) grants.set(sender, { granted: count, retryAfterSec: null });
      else short.push({ sender, fromHeld, heldUntil, need: count - fromHeld });
    }
    if (short.length === 0) return grants;
    const limit = this.config.throttle.sendPer10s;
    // Spare units up to spareUnits(limit) per sender, counting what is held and what takes in flight ask for:
    // a sender's batches in flight at once (one per chat) would otherwise each bring a spare.
    const spares = short.map((s) => {
      const spare = Math.max(
        0,
        spareUnits(limit) - (this.held.get(s.sender)?.units ?? 0) - (this.asking.get(s.sender) ?? 0),
      );
      this.asking.set(s.sender, (this.asking.get(s.sender) ?? 0) + spare);
      return spare;
    });
    let answers;
    try {
      answers = await this.limiter.takeMany(
        short.map((s, i) => ({ key: key(s.sender), limit, count: s.need + spares[i] })),
        WINDOW_MS,
      );
    } catch (err) {
      for (const s of short) if (s.fromHeld) this.hold(s.sender, s.fromHeld, s.heldUntil);
      throw err;
    } finally {
      short.forEach((s, i) => {
        const left = (this.asking.get(s.sender) ?? 0) - spares[i];
        if (left > 0) this.asking.set(s.sender, left);
        else this.asking.delete(s.sender);
      });
    }
    short.forEach((s, i) => {
      const { granted, resetsInMs } = answers[i];
      const got = Math.min(granted, s.need);
      if (granted > got) this.hold(s.sender, granted - got, now + resetsInMs);
      grants.set(s.sender, {
        granted: s.fromHeld + got,
        retryAfterSec: got < s.need ? Math.max(1, Math.ceil(resetsInMs / 1000)) : null,
      });
    });
    return grants;
  }

  async refund(counts: Map<string, number>): Promise<void> {
    if (counts.size === 0) return;
    return this.limiter.refundMany([...counts].map(([sender, count]) => ({ key: key(sender), count })));
  }

  /** Takes up to `count` of the sender's held units; returns how many. */
  private spend(sender: string, count: number, now: number): number {
    const h = this.held.get(sender);
    if (!h) return 0;
    if (h.until <= now) {
      this.held.delete(sender);
      return 0;
    }
    const taken = Math.min(h.units, count);
    h.units -= taken;
    if (h.units === 0) this.held.delete(sender);
    return taken;
  }

  private hold(sender: string, units: number, until: number): void {
    const h = this.held.get(sender);
    // Units still held belong to the same window as new ones: the take that brought these ran in Redis before
    // `h.until`, and so before that window ended.
    if (h && h.until > performance.now())
      this.held.set(sender, { units: h.units + units, until: Math.max(h.until, until) });
    else this.held.set(sender, { units, until });
  }

  /** Forgets units of ended windows (of senders who stopped sending), once per window. */
  private prune(now: number): void {
    if (now < this.nextPrune) return;
    this.nextPrune = now + WINDOW_MS;
    for (const [sender, h] of this.held) if (h.until <= now) this.held.delete(sender);
  }
}
