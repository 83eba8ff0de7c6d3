import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ChatViews } from '../chats/chat-views';
import { MemberRole } from '../chats/chat-member.entity';
import { MembershipService } from '../chats/membership.service';
import { AppError } from '../common/app-error';
import { ChatRemovedEvent, ChatsChangedEvent, Events } from '../common/events';
import { GroupDto } from './dto/group.dto';
import { updateReturning } from '../database/sql';

interface GroupRow {
  id: string;
  chat_id: string;
  name: string;
  creator_id: string | null;
  created_at: Date;
}

const MANAGERS: MemberRole[] = ['owner', 'admin'];

@Injectable()
export class GroupsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly membership: MembershipService,
    private readonly views: ChatViews,
    private readonly events: EventEmitter2,
  ) {}

  async create(creatorId: string, name: string, memberIds: string[]): Promise<GroupDto> {
    const others = [...new Set(memberIds)].filter((id) => id !== creatorId);
    const group = await this.db.transaction(async (tx) => {
      await this.requireUsers(tx, others);
      const [chat] = await tx.query(`INSERT INTO chats (type) VALUES ('group') RETURNING id`);
      const [row]: GroupRow[] = await tx.query(
        `INSERT INTO groups (chat_id, name, creator_id) VALUES ($1, $2, $3) RETURNING *`,
        [chat.id, name, creatorId],
      );
      await tx.query(
        `INSERT INTO chat_members (chat_id, user_id, role)
         SELECT $1::uuid, $2::uuid, 'owner' UNION ALL SELECT $1::uuid, unnest($3::uuid[]), 'member'`,
        [chat.id, creatorId, others],
      );
      return row;
    });
    await this.announce(group.chat_id, 'new', [creatorId, ...others]);
    return this.toDto(group);
  }

  async get(userId: string, groupId: string): Promise<GroupDto> {
    const group = await this.find(this.db.manager, groupId);
    await this.membership.require(group.chat_id, userId);
    return this.toDto(group);
  }

  async rename(userId: string, groupId: string, name: string): Promise<GroupDto> {
    const group = await this.db.transaction(async (tx) => {
      const g = await this.lockAsManager(tx, groupId, userId);
      const [row] = await updateReturning<GroupRow>(
        tx,
        `UPDATE groups SET name = $2 WHERE id = $1 RETURNING *`,
        [groupId, name],
      );
      await tx.query(`UPDATE chats SET updated_at = now() WHERE id = $1`, [g.chat_id]);
      return row;
    });
    await this.announce(group.chat_id, 'updated');
    return this.toDto(group);
  }

  /** New members start with their read mark at the chat's current seq: earlier messages are not "unread". */
  async addMembers(userId: string, groupId: string, userIds: string[]): Promise<GroupDto> {
    const { group, added } = await this.db.transaction(async (tx) => {
      const g = await this.lockAsManager(tx, groupId, userId);
      const ids = [...new Set(userIds)];
      await this.requireUsers(tx, ids);
      const rows: { user_id: string }[] = await tx.query(
        `INSERT INTO chat_members (chat_id, user_id, role, last_read_seq)
         SELECT c.id, u, 'member', c.last_seq FROM chats c, unnest($2::uuid[]) AS u WHERE c.id = $1
         ON CONFLICT DO NOTHING RETURNING user_id`,
        [g.chat_id, ids],
      );
      if (rows.length) await tx.query(`UPDATE chats SET updated_at = now() WHERE id = $1`, [g.chat_id]);
      return { group: g, added: rows.map((r) => r.user_id) };
    });
    if (added.length) {
      await this.membership.invalidate(group.chat_id);
      const everyone = (await this.membership.members(group.chat_id)).map((m) => m.userId);
      await this.announce(group.chat_id, 'new', added);
      await this.announce(
        group.chat_id,
        'updated',
        everyone.filter((id) => !added.includes(id)),
      );
    }
    return this.toDto(group);
  }

  /**
   * Removes a member (owner/admin), or leaves (the user themself). Admins may remove plain members only.
   * When the owner leaves, the longest-standing admin (else member) becomes owner.
   */
  async removeMember(userId: string, groupId: string, targetId: string): Promise<void> {
    const group = await this.db.transaction(async (tx) => {
      const g = await this.lockGroup(tx, groupId);
      const roles = await this.roles(tx, g.chat_id, [userId, targetId]);
      const actor = roles.get(userId);
      const target = roles.get(targetId);
      if (!actor) throw new AppError('NOT_A_MEMBER', 'You are not a member of this group');
      if (!target) throw new AppError('NOT_FOUND', 'That user is not a member of this group');
      if (userId !== targetId) {
        if (!MANAGERS.includes(actor))
          throw new AppError('FORBIDDEN', 'Only the owner or an admin can remove members');
        if (target === 'owner' || (actor === 'admin' && target === 'admin')) {
          throw new AppError('FORBIDDEN', `An ${actor} cannot remove the ${target}`);
        }
      }
      await tx.query(`DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2`, [g.chat_id, targetId]);
      if (target === 'owner') {
        await tx.query(
          `UPDATE chat_members SET role = 'owner' WHERE (chat_id, user_id) = (
             SELECT chat_id, user_id FROM chat_members WHERE chat_id = $1
              ORDER BY (role = 'admin') DESC, joined_at, user_id LIMIT 1)`,
          [g.chat_id],
        );
      }
      await tx.query(`UPDATE chats SET updated_at = now() WHERE id = $1`, [g.chat_id]);
      return g;
    });
    await this.membership.invalidate(group.chat_id);
    this.events.emit(Events.ChatRemoved, {
      chatId: group.chat_id,
      userIds: [targetId],
    } satisfies ChatRemovedEvent);
    await this.announce(group.chat_id, 'updated');
  }

  /** The owner makes a member an admin or back. */
  async setRole(
    userId: string,
    groupId: string,
    targetId: string,
    role: 'admin' | 'member',
  ): Promise<GroupDto> {
    const group = await this.db.transaction(async (tx) => {
      const g = await this.lockGroup(tx, groupId);
      const roles = await this.roles(tx, g.chat_id, [userId, targetId]);
      if (!roles.get(userId)) throw new AppError('NOT_A_MEMBER', 'You are not a member of this group');
      if (roles.get(userId) !== 'owner') throw new AppError('FORBIDDEN', 'Only the owner can change roles');
      if (!roles.get(targetId)) throw new AppError('NOT_FOUND', 'That user is not a member of this group');
      if (targetId === userId) throw new AppError('BAD_REQUEST', 'The owner cannot change their own role');
      await tx.query(`UPDATE chat_members SET role = $3 WHERE chat_id = $1 AND user_id = $2`, [
        g.chat_id,
        targetId,
        role,
      ]);
      return g;
    });
    await this.membership.invalidate(group.chat_id);
    await this.announce(group.chat_id, 'updated');
    return this.toDto(group);
  }

  private async find(manager: EntityManager, groupId: string, lock = false): Promise<GroupRow> {
    const rows: GroupRow[] = await manager.query(
      `SELECT g.* FROM groups g JOIN chats c ON c.id = g.chat_id WHERE g.id = $1 ${lock ? 'FOR UPDATE OF c' : ''}`,
      [groupId],
    );
    if (rows.length === 0) throw new AppError('GROUP_NOT_FOUND', 'Group not found');
    return rows[0];
  }

  /** Locks the group's chat row: membership changes of one group (and its sends) happen one at a time. */
  private lockGroup(tx: EntityManager, groupId: string): Promise<GroupRow> {
    return this.find(tx, groupId, true);
  }

  private async lockAsManager(tx: EntityManager, groupId: string, userId: string): Promise<GroupRow> {
    const group = await this.lockGroup(tx, groupId);
    const role = (await this.roles(tx, group.chat_id, [userId])).get(userId);
    if (!role) throw new AppError('NOT_A_MEMBER', 'You are not a member of this group');
    if (!MANAGERS.includes(role)) throw new AppError('FORBIDDEN', 'Only the owner or an admin can do this');
    return group;
  }

  private async roles(
    tx: EntityManager,
    chatId: string,
    userIds: string[],
  ): Promise<Map<string, MemberRole>> {
    const rows: { user_id: string; role: MemberRole }[] = await tx.query(
      `SELECT user_id, role FROM chat_members WHERE chat_id = $1 AND user_id = ANY($2)`,
      [chatId, userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.role]));
  }

  private async requireUsers(tx: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const rows: { id: string }[] = await tx.query(`SELECT id FROM users WHERE id = ANY($1)`, [ids]);
    if (rows.length !== ids.length) {
      const found = new Set(rows.map((r) => r.id));
      throw new AppError('USER_NOT_FOUND', 'Unknown user', { userIds: ids.filter((id) => !found.has(id)) });
    }
  }

  /** Sends chat:new / chat:updated with each member's own view (defaults to every current member). */
  private async announce(chatId: string, kind: 'new' | 'updated', userIds?: string[]): Promise<void> {
    const ids = userIds ?? (await this.membership.members(chatId)).map((m) => m.userId);
    if (ids.length === 0) return;
    const views = await this.views.forMembers(chatId, ids);
    this.events.emit(Events.ChatsChanged, { kind, views } satisfies ChatsChangedEvent);
  }

  private async toDto(group: GroupRow): Promise<GroupDto> {
    return {
      id: group.id,
      chatId: group.chat_id,
      name: group.name,
      creatorId: group.creator_id,
      members: await this.membership.members(group.chat_id),
      createdAt: group.created_at.toISOString(),
    };
  }
}
