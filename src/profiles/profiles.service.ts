import { Injectable } from '@nestjs/common';
import { ChatsRepository } from '../chats/chats.repository';
import { PresenceStore } from '../presence/presence.store';
import { GroupInvites, UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { UserDto, UserListDto } from './dto/user.dto';

/**
 * Users as a given viewer may see them: your email and settings only to you; whether someone is online, and
 * when they were last seen, only to people who share a chat with them (as `presence` events are scoped).
 */
@Injectable()
export class ProfilesService {
  constructor(
    private readonly users: UsersService,
    private readonly chats: ChatsRepository,
    private readonly presence: PresenceStore,
  ) {}

  /** One profile (the row is cached; presence is always read live). */
  async get(viewerId: string, id: string): Promise<UserDto> {
    const [view] = await this.views(viewerId, [await this.users.get(id)]);
    return view;
  }

  async search(
    viewerId: string,
    term: string | undefined,
    limit: number,
    offset: number,
  ): Promise<UserListDto> {
    const { users, total } = await this.users.search(term, limit, offset);
    return { items: await this.views(viewerId, users), total };
  }

  async update(
    viewerId: string,
    changes: { displayName?: string; groupInvites?: GroupInvites },
  ): Promise<UserDto> {
    return this.get(viewerId, (await this.users.updateProfile(viewerId, changes)).id);
  }

  /** The users as `viewerId` sees them, with two queries for any number of users. */
  async views(viewerId: string, users: UserEntity[]): Promise<UserDto[]> {
    const others = users.filter((u) => u.id !== viewerId).map((u) => u.id);
    const contacts = await this.chats.sharingAChatWith(viewerId, others);
    const visible = users.filter((u) => u.id === viewerId || contacts.has(u.id)).map((u) => u.id);
    const online = await this.presence.onlineUserIds(visible);
    return users.map((user) => {
      const self = user.id === viewerId;
      const sees = self || contacts.has(user.id);
      const view: UserDto = {
        id: user.id,
        username: user.username,
        displayName: user.displayName,
        online: sees ? online.has(user.id) : null,
        lastSeenAt: sees && user.lastSeenAt ? new Date(user.lastSeenAt).toISOString() : null,
        createdAt: new Date(user.createdAt).toISOString(),
      };
      return self ? { ...view, email: user.email, groupInvites: user.groupInvites } : view;
    });
  }
}
