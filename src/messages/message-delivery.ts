import { Injectable, Logger } from '@nestjs/common';
import { ChatsRepository } from '../chats/chats.repository';
import { EventBus } from '../common/events';
import { DeliveryOutbox, REDELIVER_AFTER_MS } from './delivery-outbox';
import { toMessageDto } from './dto/message.dto';
import './messages.events';
import { MessagesRepository } from './messages.repository';

/**
 * The other half of DeliveryOutbox: on every API instance (never the worker, which publishes nothing), looks
 * for batches nobody acknowledged and publishes their committed messages again, to the chats' current members.
 */
@Injectable()
export class MessageDelivery {
  private readonly logger = new Logger(MessageDelivery.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly outbox: DeliveryOutbox,
    private readonly messages: MessagesRepository,
    private readonly chats: ChatsRepository,
    private readonly events: EventBus,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.redeliver(), Math.floor(REDELIVER_AFTER_MS / 3));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async redeliver(): Promise<void> {
    try {
      for (const entry of await this.outbox.claimStale()) {
        const stored = await this.messages.findByIds(DeliveryOutbox.idsOf(entry));
        if (stored.length === 0) {
          await this.outbox.ack(entry); // the statement never committed
          continue;
        }
        const items = [];
        for (const chatId of new Set(stored.map((m) => m.chatId))) {
          const [members, readAllSeq] = await Promise.all([
            this.chats.members(chatId),
            this.chats.readAllSeq(chatId),
          ]);
          const recipientIds = members.map((m) => m.userId);
          for (const m of stored.filter((x) => x.chatId === chatId))
            items.push({ message: toMessageDto(m, readAllSeq), recipientIds });
        }
        this.logger.warn(`published ${items.length} committed messages again (their instance never did)`);
        this.events.emit('messages.created', { items, delivery: entry });
      }
    } catch (err) {
      this.logger.warn(`redelivery failed: ${String(err)}`);
    }
  }
}
