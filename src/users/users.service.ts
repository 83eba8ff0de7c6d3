import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '../common/app-error';
import { uniqueViolation } from '../common/postgres-errors';
import { PresenceStore } from '../presence/presence.store';
import { VersionedCache } from '../redis/versioned-cache';
import { UserDto } from './dto/user.dto';
import { UQ_USERS_EMAIL, UQ_USERS_USERNAME, UserEntity } from './user.entity';
import { updateReturning } from '../database/sql';

export interface NewUser {
  email: string;
  username: string;
  displayName: string;
  passwordHash: string;
}

const PROFILE_TTL_MS = 5 * 60_000;
const profileKey = (id: string) => `user-profile:${id}`;
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly presence: PresenceStore,
    private readonly cache: VersionedCache,
  ) {}

  /** Relies on the unique indexes, not a prior lookup, so two racing registrations cannot both win. */
  async create(input: NewUser): Promise<UserEntity> {
    try {
      const rows = await this.users.insert(input);
      return await this.users.findOneByOrFail({ id: rows.identifiers[0].id as string });
    } catch (err) {
      const constraint = uniqueViolation(err);
      if (constraint === UQ_USERS_EMAIL) throw new AppError('EMAIL_TAKEN', 'Email is already registered');
      if (constraint === UQ_USERS_USERNAME) throw new AppError('USERNAME_TAKEN', 'Username is already taken');
      throw err;
    }
  }

  /** For login only: the one query that selects the password hash. */
  findWithPasswordByLogin(login: string): Promise<UserEntity | null> {
    const normalized = login.trim().toLowerCase();
    const column = normalized.includes('@') ? 'email' : 'username';
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where(`u.${column} = :login`, { login: normalized })
      .getOne();
  }

  async getById(id: string): Promise<UserEntity> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
    return user;
  }

  /** Profiles are cached (lastSeenAt changes invalidate them); `online` is always read live. */
  async getProfile(id: string): Promise<UserDto> {
    const [user, online] = await Promise.all([
      this.cache.getOrLoad(profileKey(id), PROFILE_TTL_MS, () => this.getById(id)),
      this.presence.isOnline(id),
    ]);
    return UserDto.from(user, online);
  }

  /** Records "last seen now" (at each online/offline transition) and returns it. */
  async touchLastSeen(id: string): Promise<Date | null> {
    const rows = await updateReturning<{ last_seen_at: Date }>(
      this.users,
      `UPDATE users SET last_seen_at = now() WHERE id = $1 RETURNING last_seen_at`,
      [id],
    );
    await this.cache.invalidate(profileKey(id));
    return rows[0]?.last_seen_at ?? null;
  }

  async search(
    search: string | undefined,
    limit: number,
    offset: number,
  ): Promise<{ items: UserDto[]; total: number }> {
    const query = this.users.createQueryBuilder('u').orderBy('u.username', 'ASC').take(limit).skip(offset);
    const term = search?.trim();
    if (term) {
      query.where(`(u.username ILIKE :q ESCAPE '\\' OR u.displayName ILIKE :q ESCAPE '\\')`, {
        q: `%${escapeLike(term)}%`,
      });
    }
    const [users, total] = await query.getManyAndCount();
    return { items: await this.toDtos(users), total };
  }

  async toDtos(users: UserEntity[]): Promise<UserDto[]> {
    const online = await this.presence.onlineUserIds(users.map((u) => u.id));
    return users.map((u) => UserDto.from(u, online.has(u.id)));
  }
}
