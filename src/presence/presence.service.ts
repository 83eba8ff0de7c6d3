import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Events, PresenceChangedEvent } from '../common/events';
import { UsersService } from '../users/users.service';
import { PresenceStore } from './presence.store';

/** Turns socket connects/disconnects into online/offline transitions, lastSeenAt, and presence events. */
@Injectable()
export class PresenceService {
  constructor(
    private readonly store: PresenceStore,
    private readonly users: UsersService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventEmitter2,
  ) {}

  async socketConnected(userId: string, socketId: string): Promise<void> {
    if (await this.store.connect(userId, socketId)) await this.announce(userId, true);
  }

  async socketDisconnected(userId: string, socketId: string): Promise<void> {
    if (await this.store.disconnect(userId, socketId)) await this.announce(userId, false);
  }

  heartbeat(sockets: { userId: string; socketId: string }[]): Promise<void> {
    return this.store.heartbeat(sockets);
  }

  private async announce(userId: string, online: boolean): Promise<void> {
    const lastSeenAt = await this.users.touchLastSeen(userId);
    const contacts: { user_id: string }[] = await this.db.query(
      `SELECT DISTINCT other.user_id FROM chat_members mine
         JOIN chat_members other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
        WHERE mine.user_id = $1`,
      [userId],
    );
    this.events.emit(Events.PresenceChanged, {
      userId,
      online,
      lastSeenAt: lastSeenAt?.toISOString() ?? null,
      recipientIds: contacts.map((c) => c.user_id),
    } satisfies PresenceChangedEvent);
  }
}
