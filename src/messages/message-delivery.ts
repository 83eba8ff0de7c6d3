import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChatsRepository } from '../chats/chats.repository';
import { EventBus } from '../common/events';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DeliveryOutbox, REDELIVER_AFTER_MS } from './delivery-outbox';
import { toMessageDto } from './dto/message.dto';
import type { CreatedMessage } from './messages.events';
import { Message, MessagesRepository } from './messages.repository';

/** Entries claimed per round, and rounds per sweep: a backlog after an outage is worked off in one sweep. */
const CLAIM_LIMIT = 100;
const MAX_ROUNDS = 10;
/** How often fence rows are purged, and how old they must be. */
const PURGE_EVERY_MS = 60_000;
const PURGE_OLDER_THAN_SEC = 600;

/**
 * The other half of DeliveryOutbox: on every API instance (never the worker, which publishes nothing), looks
 * for batches nobody acknowledged and publishes their committed messages again, to the chats' current members.
 *
 * A batch with no rows is not given up at first sight: its statement may be queued in front of a PostgreSQL
 * that was stalled, and commit later. Once it is older than any live statement could be (twice the statement
 * timeout), the batch is fenced, so it never can, and only then is its entry dropped.
 */
@Injectable()
export class MessageDelivery {
  private readonly logger = new Logger(MessageDelivery.name);
  private readonly fenceAfterMs: number;
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private lastPurge = Date.now();

  constructor(
    private readonly outbox: DeliveryOutbox,
    private readonly messages: MessagesRepository,
    private readonly chats: ChatsRepository,
    private readonly events: EventBus,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.fenceAfterMs = Math.max(REDELIVER_AFTER_MS, config.dbStatementTimeoutMs * 2);
  }

  start(): void {
    this.timer = setInterval(() => void this.redeliver(), Math.floor(REDELIVER_AFTER_MS / 3));
    this.timer.unref();
  }

  /** Stops sweeping; resolves once a sweep in progress has finished. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One sweep, unless one is in progress (then resolves at once). */
  async redeliver(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = this.sweep().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweep(): Promise<void> {
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const entries = await this.outbox.claimStale(CLAIM_LIMIT);
        if (entries.length) await this.settle(entries);
        if (entries.length < CLAIM_LIMIT) break;
      }
      if (Date.now() - this.lastPurge >= PURGE_EVERY_MS) {
        this.lastPurge = Date.now();
        await this.messages.purgeFences(PURGE_OLDER_THAN_SEC);
      }
    } catch (err) {
      this.logger.warn(`redelivery failed: ${String(err)}`);
    }
  }

  private async settle(entries: string[]): Promise<void> {
    const pending = await this.publishStored(entries);
    const now = Date.now();
    const old = pending.filter((e) => now - DeliveryOutbox.recordedAtOf(e) >= this.fenceAfterMs);
    if (old.length === 0) return; // the younger ones are looked at again after REDELIVER_AFTER_MS
    await this.messages.fence(old.map(DeliveryOutbox.batchIdOf));
    // Whatever committed before the fence is visible now; the rest never will be.
    const never = await this.publishStored(old);
    await this.outbox.ack(never);
  }

  /** Publishes the stored messages of each entry (the gateway acknowledges it); returns the entries with none. */
  private async publishStored(entries: string[]): Promise<string[]> {
    const stored = await this.messages.findByIds(entries.flatMap(DeliveryOutbox.idsOf));
    const byId = new Map(stored.map((m) => [m.id, m]));
    const audience = new Map<string, Promise<{ recipientIds: string[]; readAllSeq: number }>>();
    const audienceOf = (chatId: string) => {
      let found = audience.get(chatId);
      if (!found) {
        found = Promise.all([this.chats.members(chatId), this.chats.readAllSeq(chatId)]).then(
          ([members, readAllSeq]) => ({ recipientIds: members.map((m) => m.userId), readAllSeq }),
        );
        audience.set(chatId, found);
      }
      return found;
    };
    const empty: string[] = [];
    for (const entry of entries) {
      const rows = DeliveryOutbox.idsOf(entry)
        .map((id) => byId.get(id))
        .filter((m): m is Message => m !== undefined);
      if (rows.length === 0) {
        empty.push(entry);
        continue;
      }
      const items: CreatedMessage[] = [];
      for (const m of rows) {
        const { recipientIds, readAllSeq } = await audienceOf(m.chatId);
        items.push({ message: toMessageDto(m, readAllSeq), recipientIds });
      }
      this.logger.warn(
        `published ${items.length} committed messages again (the instance that stored them did not acknowledge them)`,
      );
      this.events.emit('messages.created', { items, delivery: entry });
    }
    return empty;
  }
}
