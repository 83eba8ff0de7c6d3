import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { Server } from 'socket.io';
import type { CreatedMessage } from '../messages/messages.events';
import { USER_ROOM_PREFIX, userRoom } from './rooms';
import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from './socket-events';

type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What a catch-up re-sends: messages created since then in the chats of these users. */
export type RecentMessages = (userIds: string[], since: Date) => Promise<CreatedMessage[]>;

/**
 * A catch-up looks back this far before the moment the subscriber connection went away: a publication that was
 * in flight then, and the clock difference between this host and PostgreSQL's (createdAt is PostgreSQL's).
 */
const CATCH_UP_MARGIN_MS = 5000;
/** A failed catch-up is tried again after 1 s, then 2, 4, ... up to this: until it has run (or stop()). */
const CATCH_UP_RETRY_MS = 1000;
const CATCH_UP_RETRY_MAX_MS = 30_000;

/**
 * message:new, the hottest event, with one Redis publication per committed batch instead of one per message
 * through the adapter: this instance delivers to its own sockets at once, and the others get the whole batch
 * in one message on a channel of their own. An instance recognises its own publications by their first bytes
 * and skips them without decoding. The channel is subscribed on the adapter's subscriber connection, so
 * message:new and the adapter's other events (message:updated, receipts, ...) reach every instance in the order
 * they were published.
 *
 * Pub/sub delivers to whoever is subscribed at that moment: while this instance's subscriber connection is away
 * (Redis restarted, a network blip) other instances' publications pass it by, and a Redis that restarted
 * empty has also lost the delivery outbox. So when the connection is back and subscribed again, this instance
 * re-sends to its own sockets what was created meanwhile in their users' chats (clients de-duplicate by id).
 */
export class MessageFanout {
  private readonly logger = new Logger(MessageFanout.name);
  private readonly self: Buffer;
  private readonly selfPrefix: string;
  /** When the subscriber connection went away, until the catch-up after it is back has run. */
  private lostAt?: number;
  private catchingUp = false;
  private stopped = false;

  constructor(
    private readonly server: AppServer,
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly channel: string,
    instanceId: string,
    private readonly recent: RecentMessages,
  ) {
    this.selfPrefix = `${instanceId}\n`;
    this.self = Buffer.from(this.selfPrefix);
  }

  async start(): Promise<void> {
    this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      if (channel.toString() !== this.channel) return; // the adapter's own request channels
      if (payload.subarray(0, this.self.length).equals(this.self)) return; // delivered here already
      try {
        const items = JSON.parse(payload.subarray(payload.indexOf(10) + 1).toString()) as CreatedMessage[];
        this.deliverHere(items);
      } catch (err) {
        this.logger.warn(`bad fan-out payload: ${String(err)}`);
      }
    });
    this.sub.on('close', () => (this.lostAt ??= Date.now()));
    this.sub.on('ready', () => void this.catchUp());
    await this.sub.subscribe(this.channel);
  }

  private async catchUp(): Promise<void> {
    if (this.lostAt === undefined || this.catchingUp) return;
    this.catchingUp = true;
    try {
      // However long PostgreSQL stays away after Redis is back: the sockets here stay connected, so nothing
      // else would tell their clients what they missed.
      for (let attempt = 1; this.lostAt !== undefined && !this.stopped; attempt++) {
        const since: Date = new Date(this.lostAt - CATCH_UP_MARGIN_MS);
        try {
          // Once this is answered, the channel's publications reach this connection again (ioredis also
          // re-subscribes by itself on reconnect, possibly after this: it emits 'ready' first).
          await this.sub.subscribe(this.channel);
          if (this.sub.status !== 'ready') return; // gone again: the next 'ready' starts over
          this.lostAt = undefined;
          const items = await this.recent(this.localUsers(), since);
          this.deliverHere(items);
          if (items.length)
            this.logger.warn(`re-sent ${items.length} messages after the pub/sub connection was away`);
        } catch (err) {
          // Back to the earliest loss not yet caught up (another gap may have begun meanwhile).
          this.lostAt = Math.min(this.lostAt ?? Infinity, since.getTime() + CATCH_UP_MARGIN_MS);
          this.logger.warn(`catch-up after a pub/sub gap failed (attempt ${attempt}): ${String(err)}`);
          const pause = Math.min(CATCH_UP_RETRY_MS * 2 ** (attempt - 1), CATCH_UP_RETRY_MAX_MS);
          await new Promise((resolve) => setTimeout(resolve, pause).unref());
        }
      }
    } finally {
      this.catchingUp = false;
    }
  }

  /** The users with a socket on this instance (every socket is in its user's room). */
  private localUsers(): string[] {
    const users: string[] = [];
    for (const room of this.server.of('/').adapter.rooms.keys())
      if (room.startsWith(USER_ROOM_PREFIX)) users.push(room.slice(USER_ROOM_PREFIX.length));
    return users;
  }

  /** Ends catch-up retries (shutdown). */
  stop(): void {
    this.stopped = true;
  }

  /** Delivers here at once; resolves once Redis has taken the publication for the other instances. */
  publish(items: CreatedMessage[]): Promise<unknown> {
    this.deliverHere(items);
    return this.pub.publish(this.channel, this.selfPrefix + JSON.stringify(items));
  }

  /** One broadcast per message to its members' rooms: each socket once, whatever rooms it is in. */
  private deliverHere(items: CreatedMessage[]): void {
    for (const { message, recipientIds, originSocketId } of items) {
      const target = this.server.local.to(recipientIds.map(userRoom));
      (originSocketId ? target.except(originSocketId) : target).emit('message:new', message);
    }
  }
}
