import { Injectable } from '@nestjs/common';
import { ChatsRepository } from '../chats/chats.repository';
import { EventBus } from '../common/events';
import { UsersService } from '../users/users.service';
import './presence.events';
import { PresenceStore } from './presence.store';

/** Turns socket connects/disconnects into online/offline transitions, lastSeenAt, and presence events. */
@Injectable()
export class PresenceService {
  constructor(
    private readonly store: PresenceStore,
    private readonly users: UsersService,
    private readonly chats: ChatsRepository,
    private readonly events: EventBus,
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
    const [lastSeenAt, recipientIds] = await Promise.all([
      this.users.touchLastSeen(userId),
      this.chats.contactsOf(userId),
    ]);
    this.events.emit('presence.changed', {
      userId,
      online,
      lastSeenAt: lastSeenAt?.toISOString() ?? null,
      recipientIds,
    });
  }
}
