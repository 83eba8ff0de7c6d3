import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { MAX_TTL_MS, VersionedCache } from '../redis/versioned-cache';
import { GroupInvites, UserEntity } from './user.entity';
import { NewUser, UsersRepository } from './users.repository';

const PROFILE_TTL_MS = MAX_TTL_MS;
const profileKey = (id: string) => `user-profile:${id}`;

/** Accounts: creation, lookup for login, the cached profile row, "last seen". */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly cache: VersionedCache,
  ) {}

  async create(input: NewUser): Promise<UserEntity> {
    const result = await this.users.insert(input);
    if ('user' in result) return result.user;
    throw result.taken === 'email'
      ? new AppError('EMAIL_TAKEN', 'Email is already registered')
      : new AppError('USERNAME_TAKEN', 'Username is already taken');
  }

  /** For login only: by email when the login contains "@", otherwise by username. Carries the password hash. */
  findForLogin(login: string): Promise<UserEntity | null> {
    const normalized = login.trim().toLowerCase();
    return this.users.findForLogin(normalized.includes('@') ? 'email' : 'username', normalized);
  }

  /** The profile row, cached (touchLastSeen invalidates it); USER_NOT_FOUND is never cached. */
  get(id: string): Promise<UserEntity> {
    return this.cache.getOrLoad(profileKey(id), PROFILE_TTL_MS, async () => {
      const user = await this.users.findById(id);
      if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
      return user;
    });
  }

  /** Throws USER_NOT_FOUND naming every id that is not an account. */
  async requireExisting(ids: string[]): Promise<void> {
    const found = await this.users.existingIds(ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) throw new AppError('USER_NOT_FOUND', 'Unknown user', { userIds: missing });
  }

  async updateProfile(
    id: string,
    changes: { displayName?: string; groupInvites?: GroupInvites },
  ): Promise<UserEntity> {
    const user = await this.users.updateProfile(id, changes);
    await this.cache.invalidate(profileKey(id));
    if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
    return user;
  }

  /** The users among `ids` who accept group invitations only from people they share a direct chat with. */
  contactsOnly(ids: string[]): Promise<Pick<UserEntity, 'id' | 'displayName'>[]> {
    return this.users.contactsOnly(ids);
  }

  /** Records "last seen now" (when users go offline) and returns it, for many users in one statement. */
  async touchLastSeen(ids: string[]): Promise<Map<string, Date>> {
    const seen = await this.users.touchLastSeen(ids);
    await Promise.all(ids.map((id) => this.cache.invalidate(profileKey(id))));
    return seen;
  }

  lastSeen(ids: string[]): Promise<Map<string, Date | null>> {
    return this.users.lastSeen(ids);
  }

  search(term: string | undefined, limit: number, offset: number) {
    return this.users.search(term?.trim() || undefined, limit, offset);
  }
}
