import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { AppError } from '../common/app-error';
import { isOutage } from '../common/unavailable';
import { EventBus } from '../common/events';
import { Metrics } from '../common/metrics';
import { SEND_POOL_SIZE } from '../database/typeorm-options';
import { DeliveryOutbox } from './delivery-outbox';
import { MessageDto, toMessageDto } from './dto/message.dto';
import './messages.events';
import {
  DuplicateInFlightError,
  MembershipChangedError,
  Message,
  MessagesRepository,
  NewMessage,
} from './messages.repository';
import { SendRateLimiter } from './send-rate-limiter';

/** Sends per statement, and statements in flight at once (each holds one PostgreSQL connection). */
export const MAX_BATCH = 128;
export const MAX_IN_FLIGHT = SEND_POOL_SIZE;
/** Beyond this many waiting sends the instance is overloaded: refuse at once (503) rather than queue for seconds. */
export const MAX_WAITING = 5000;
/** Runs of one batch's statement when it meets a concurrent duplicate or membership change. */
const STORE_ATTEMPTS = 3;

export type SendResult =
  | { kind: 'inserted'; message: MessageDto }
  | { kind: 'existing'; message: Message }
  | { kind: 'refused' }
  | { kind: 'rate-limited'; retryAfterSec: number };

interface Pending {
  send: NewMessage;
  /** performance.now() when it was submitted. */
  queuedAt: number;
  originSocketId?: string;
  resolve(result: SendResult): void;
  reject(err: unknown): void;
}

const keyOf = (s: NewMessage) => `${s.senderId}:${s.clientMsgId}`;

/**
 * Group commit for sends. Sends that arrive while earlier ones are being stored wait and then go together:
 * one statement and one commit in PostgreSQL, one outbox entry and at most one rate-limit call to Redis, for
 * the whole batch — while each caller still gets its own result, only after the commit. Most batches do not
 * wait for Redis at all: their senders hold rate-limit units here, and the outbox entry is written just before
 * the statement is sent, the two round trips overlapping. When idle a send goes at once
 * (the next turn of the event loop), so batching adds no latency at low load; under load, batches grow.
 *
 * Order: sends to one chat never run in two statements at once, so a sender's messages to a chat are stored
 * in the order they arrived here; the same (sender, clientMsgId) twice waits for the first and then reads as
 * a replay.
 */
@Injectable()
export class SendBatcher {
  private readonly logger = new Logger(SendBatcher.name);
  private queue: Pending[] = [];
  private running = 0;
  private scheduled = false;
  private readonly busyChats = new Set<string>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly messages: MessagesRepository,
    private readonly rateLimiter: SendRateLimiter,
    private readonly outbox: DeliveryOutbox,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
  ) {}

  submit(send: Omit<NewMessage, 'id'>, originSocketId?: string): Promise<SendResult> {
    if (this.queue.length >= MAX_WAITING)
      return Promise.reject(
        new AppError('SERVICE_UNAVAILABLE', 'The server is busy; retry shortly', undefined, 1),
      );
    // Written out, not `{ ...send, id }`: V8 made a new hidden class for every spread-then-extended copy
    // (--log-maps: one map transition per message), in the old generation, for the next full GC to find.
    const { chatId, senderId, clientMsgId, text } = send;
    const stored: NewMessage = { id: randomUUID(), chatId, senderId, clientMsgId, text };
    return new Promise((resolve, reject) => {
      this.queue.push({ send: stored, queuedAt: performance.now(), originSocketId, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is waiting or being stored (graceful shutdown waits for this). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: sends that arrived together leave together.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      this.running += 1;
      for (const p of batch) this.busyChats.add(p.send.chatId);
      void this.run(batch).finally(() => {
        this.running -= 1;
        for (const p of batch) this.busyChats.delete(p.send.chatId);
        if (this.queue.length > 0) this.pump();
        else if (this.running === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
    }
  }

  /** The oldest sends that may go now, keeping each chat's order and each (sender, clientMsgId) once. */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const keys = new Set<string>();
    const held = new Set<string>(this.busyChats);
    for (const p of this.queue) {
      const chat = p.send.chatId;
      if (batch.length < MAX_BATCH && !held.has(chat) && !keys.has(keyOf(p.send))) {
        batch.push(p);
        keys.add(keyOf(p.send));
      } else {
        rest.push(p);
        held.add(chat); // later sends to this chat wait too, so they cannot overtake this one
      }
    }
    this.queue = rest;
    return batch;
  }

  private async run(batch: Pending[]): Promise<void> {
    const started = performance.now();
    // The batch is in arrival order: its first send waited longest.
    this.metrics.sendBatchPhase.observe({ phase: 'queued' }, (started - batch[0].queuedAt) / 1000);
    this.metrics.sendBatchSize.observe(batch.length);
    const wanted = countBySender(batch);
    const ids = batch.map((p) => p.send.id);
    // Usually every sender holds the units it needs here (SendRateLimiter) and Redis answers promptly: the
    // outbox entry is written, the statement sent right after it, and neither waits for the other
    // (DeliveryOutbox.begin).
    if (this.outbox.answering() && this.rateLimiter.takeHeld(wanted)) {
      this.metrics.sendBatchPhase.observe({ phase: 'redis' }, 0);
      return this.storeAndSettle(batch, this.outbox.begin(ids).entry);
    }
    // Otherwise the batch waits for Redis: both calls in flight at once (two writes on the same connection),
    // one round trip, and nothing goes to PostgreSQL when either fails.
    const [taken, recorded] = await Promise.allSettled([
      this.rateLimiter.take(wanted),
      this.outbox.record(ids),
    ]);
    if (taken.status === 'rejected' || recorded.status === 'rejected') {
      const err: unknown =
        taken.status === 'rejected' ? taken.reason : (recorded as PromiseRejectedResult).reason;
      for (const p of batch) p.reject(err);
      // Redis is down or stalled: those waiting behind this batch would only wait for the same answer.
      if (isOutage(err)) for (const p of this.queue.splice(0)) p.reject(err);
      if (taken.status === 'fulfilled') {
        const granted = new Map([...taken.value].map(([sender, g]) => [sender, g.granted]));
        await this.bestEffort(() => this.rateLimiter.refund(granted));
      }
      // Recorded, but its batch never reached PostgreSQL: nothing to publish.
      if (recorded.status === 'fulfilled') await this.bestEffort(() => this.outbox.ack(recorded.value));
      return;
    }
    const grants = taken.value;
    this.metrics.sendBatchPhase.observe({ phase: 'redis' }, (performance.now() - started) / 1000);
    const left = new Map([...grants].map(([sender, g]) => [sender, g.granted]));
    const allowed = batch.filter((p) => {
      const n = left.get(p.send.senderId)!;
      if (n > 0) return (left.set(p.send.senderId, n - 1), true);
      p.resolve({ kind: 'rate-limited', retryAfterSec: grants.get(p.send.senderId)!.retryAfterSec ?? 1 });
      return false;
    });
    return this.storeAndSettle(allowed, recorded.value);
  }

  /** Stores the sends whose units are taken and whose outbox entry is written, and answers each caller. */
  private async storeAndSettle(allowed: Pending[], entry: string): Promise<void> {
    try {
      const storing = performance.now();
      const outcomes = await this.store(
        allowed.map((p) => p.send),
        DeliveryOutbox.batchIdOf(entry),
      );
      if (allowed.length)
        this.metrics.sendBatchPhase.observe({ phase: 'statement' }, (performance.now() - storing) / 1000);
      const refunds = new Map<string, number>();
      const created = [];
      for (const [i, p] of allowed.entries()) {
        const outcome = outcomes[i];
        if (outcome.kind === 'inserted') {
          const { message: row, memberIds } = outcome;
          // Nobody else has read a message that was just created, unless nobody else is there (saved messages).
          const message = toMessageDto(row, memberIds.length > 1 ? row.seq - 1 : row.seq);
          created.push({ message, recipientIds: memberIds, originSocketId: p.originSocketId });
          p.resolve({ kind: 'inserted', message });
        } else {
          refunds.set(p.send.senderId, (refunds.get(p.send.senderId) ?? 0) + 1);
          p.resolve(outcome);
        }
      }
      // The gateway publishes these and acknowledges the outbox entry on the connection that published them.
      this.metrics.messagesSent.inc(created.length);
      if (created.length) this.events.emit('messages.created', { items: created, delivery: entry });
      else await this.bestEffort(() => this.outbox.ack(entry));
      await this.bestEffort(() => this.rateLimiter.refund(refunds));
    } catch (err) {
      // Whether the statement committed is unknown (a lost connection): the outbox entry stays, for a sweeper
      // to publish whatever did commit; the callers retry with the same clientMsgId and get replays.
      this.outbox.release(entry);
      for (const p of allowed) p.reject(err);
      // PostgreSQL is down or stalled: those waiting behind this batch would only wait for the same answer.
      if (isOutage(err)) for (const p of this.queue.splice(0)) p.reject(err);
      await this.bestEffort(() => this.rateLimiter.refund(countBySender(allowed)));
    }
  }

  /** Bookkeeping after the answer is decided: a failure costs a rate-limit unit or a redelivery, nothing more. */
  private async bestEffort(work: () => Promise<void> | undefined): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.logger.warn(`after a send batch: ${String(err)}`);
    }
  }

  /**
   * A concurrent duplicate on another instance, or a membership change while the statement waited for a chat's
   * lock, rolls the statement back; the next attempt sees the duplicate stored, or the new members.
   */
  private async store(sends: NewMessage[], batchId: string) {
    for (let attempt = 1; ; attempt++) {
      try {
        return sends.length ? await this.messages.insertBatch(sends, batchId) : [];
      } catch (err) {
        if (!(err instanceof DuplicateInFlightError || err instanceof MembershipChangedError)) throw err;
        if (attempt === STORE_ATTEMPTS)
          throw new AppError(
            'SERVICE_UNAVAILABLE',
            err instanceof MembershipChangedError
              ? 'A chat of this batch kept changing its members; retry shortly'
              : 'The same message is being stored elsewhere; retry shortly',
            undefined,
            1,
          );
      }
    }
  }
}

function countBySender(pending: Pending[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of pending) counts.set(p.send.senderId, (counts.get(p.send.senderId) ?? 0) + 1);
  return counts;
}
