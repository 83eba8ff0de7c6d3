import { Injectable } from '@nestjs/common';
import { PresenceStore } from '../presence/presence.store';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { UserDto, UserListDto } from './dto/user.dto';

/** Users as the API shows them: the account's public fields plus live presence. */
@Injectable()
export class ProfilesService {
  constructor(
    private readonly users: UsersService,
    private readonly presence: PresenceStore,
  ) {}

  /** One profile (the row is cached; `online` is always read live). */
  async get(id: string): Promise<UserDto> {
    const [user, online] = await Promise.all([this.users.get(id), this.presence.isOnline(id)]);
    return UserDto.from(user, online);
  }

  async search(term: string | undefined, limit: number, offset: number): Promise<UserListDto> {
    const { users, total } = await this.users.search(term, limit, offset);
    return { items: await this.toDtos(users), total };
  }

  async toDtos(users: UserEntity[]): Promise<UserDto[]> {
    const online = await this.presence.onlineUserIds(users.map((u) => u.id));
    return users.map((u) => UserDto.from(u, online.has(u.id)));
  }
}
