import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { uniqueViolation } from '../database/postgres-errors';
import { updateReturning } from '../database/sql';
import { GroupInvites, UQ_USERS_EMAIL, UQ_USERS_USERNAME, UserEntity } from './user.entity';

export interface NewUser {
  email: string;
  username: string;
  displayName: string;
  passwordHash: string;
}

export type InsertUserResult = { user: UserEntity } | { taken: 'email' | 'username' };

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Every query on `users`. Rows come back as UserEntity (camelCase); the password hash only from findForLogin. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  /** The unique indexes decide between two racing registrations, not a prior lookup. */
  async insert(input: NewUser): Promise<InsertUserResult> {
    try {
      const rows = await this.users.insert(input);
      return { user: await this.users.findOneByOrFail({ id: rows.identifiers[0].id as string }) };
    } catch (err) {
      const constraint = uniqueViolation(err);
      if (constraint === UQ_USERS_EMAIL) return { taken: 'email' };
      if (constraint === UQ_USERS_USERNAME) return { taken: 'username' };
      throw err;
    }
  }

  /** The one query that selects the password hash. `login` is already normalised (lower case). */
  findForLogin(by: 'email' | 'username', login: string): Promise<UserEntity | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where(`u.${by} = :login`, { login })
      .getOne();
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  async existingIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.users
      .createQueryBuilder('u')
      .select('u.id', 'id')
      .where('u.id = ANY(:ids)', { ids })
      .getRawMany<{ id: string }>();
    return new Set(rows.map((r) => r.id));
  }

  async updateProfile(
    id: string,
    changes: { displayName?: string; groupInvites?: GroupInvites },
  ): Promise<UserEntity | null> {
    // A field given as undefined is not a change (an empty update would be invalid SQL).
    const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length) await this.users.update({ id }, set);
    return this.users.findOneBy({ id });
  }

  /** The users among `ids` who accept group invitations only from contacts. */
  contactsOnly(ids: string[]): Promise<Pick<UserEntity, 'id' | 'displayName'>[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.users
      .createQueryBuilder('u')
      .select(['u.id AS id', 'u.display_name AS "displayName"'])
      .where('u.id = ANY(:ids)', { ids })
      .andWhere(`u.group_invites = 'contacts'`)
      .getRawMany();
  }

  /** "Last seen now" for each; returns the stored times. */
  async touchLastSeen(ids: string[]): Promise<Map<string, Date>> {
    if (ids.length === 0) return new Map();
    const rows = await updateReturning<{ id: string; last_seen_at: Date }>(
      this.users,
      `UPDATE users SET last_seen_at = now() WHERE id = ANY($1) RETURNING id, last_seen_at`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.last_seen_at]));
  }

  async lastSeen(ids: string[]): Promise<Map<string, Date | null>> {
    if (ids.length === 0) return new Map();
    const rows = await this.users
      .createQueryBuilder('u')
      .select(['u.id AS id', 'u.last_seen_at AS "lastSeenAt"'])
      .where('u.id = ANY(:ids)', { ids })
      .getRawMany<{ id: string; lastSeenAt: Date | null }>();
    return new Map(rows.map((r) => [r.id, r.lastSeenAt]));
  }

  /** By username, optionally matching a term in the username or display name (case-insensitive). */
  async search(
    term: string | undefined,
    limit: number,
    offset: number,
  ): Promise<{ users: UserEntity[]; total: number }> {
    const query = this.users.createQueryBuilder('u').orderBy('u.username', 'ASC').take(limit).skip(offset);
    if (term) {
      query.where(`(u.username ILIKE :q ESCAPE '\\' OR u.displayName ILIKE :q ESCAPE '\\')`, {
        q: `%${escapeLike(term)}%`,
      });
    }
    const [users, total] = await query.getManyAndCount();
    return { users, total };
  }
}
