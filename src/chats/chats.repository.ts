import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { updateReturning } from '../database/sql';
import { Tx } from '../database/transactions';
import { MemberRole } from './chat-member.entity';
import { ChatType } from './chat.entity';

/** The unique key of a direct chat (the pair, in order) or, for a user alone, of their saved chat. */
export const directKey = (userId: string, otherId: string) =>
  userId === otherId ? userId : [userId, otherId].sort().join(':');

export interface Member {
  userId: string;
  role: MemberRole;
}

/** A member as a chat view needs it: role, and the name a direct chat is titled with. */
export interface MemberState extends Member {
  chatId: string;
  displayName: string;
}

/** Per chat: how many members, and the lowest read mark (every member has read up to it). */
export interface MemberSummary {
  chatId: string;
  memberCount: number;
  readAllSeq: number;
}

/** A chat row with what a chat view needs from its group (null for direct and saved chats). */
export interface ChatSummary {
  id: string;
  type: ChatType;
  lastSeq: number;
  updatedAt: Date;
  groupId: string | null;
  groupName: string | null;
}

export interface ReadState {
  lastReadSeq: number | null;
  readAllSeq: number;
}

/**
 * Every query on `chats` and `chat_members`: who is in which chat with which role, and the read marks. The one
 * writer of chat_members besides the send statement (MessagesRepository), which moves the sender's read mark.
 */
@Injectable()
export class ChatsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Creates the chat of a unique key (a direct pair or a saved chat) with its members, or does nothing when it
   * exists: the unique direct_key decides between racing callers. Returns the new chat's id, or null.
   */
  async insertKeyed(type: 'direct' | 'saved', key: string, memberIds: string[]): Promise<string | null> {
    return this.db.transaction(async (tx) => {
      const rows: { id: string }[] = await tx.query(
        `INSERT INTO chats (type, direct_key) VALUES ($1, $2) ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
        [type, key],
      );
      if (rows.length === 0) return null;
      await tx.query(
        `INSERT INTO chat_members (chat_id, user_id, role) SELECT $1, unnest($2::uuid[]), 'member'`,
        [rows[0].id, memberIds],
      );
      return rows[0].id;
    });
  }

  async findIdByKey(key: string): Promise<string | null> {
    const rows: { id: string }[] = await this.db.query('SELECT id FROM chats WHERE direct_key = $1', [key]);
    return rows[0]?.id ?? null;
  }

  async exists(chatId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM chats WHERE id = $1', [chatId]);
    return rows.length > 0;
  }

  /** A user's chats, most recent activity first. */
  async chatIdsOf(userId: string): Promise<string[]> {
    const rows: { chat_id: string }[] = await this.db.query(
      `SELECT cm.chat_id FROM chat_members cm JOIN chats c ON c.id = cm.chat_id
        WHERE cm.user_id = $1 ORDER BY c.updated_at DESC, c.id`,
      [userId],
    );
    return rows.map((r) => r.chat_id);
  }

  members(chatId: string, db: Tx = this.db.manager): Promise<Member[]> {
    return db.query(
      `SELECT user_id AS "userId", role FROM chat_members WHERE chat_id = $1 ORDER BY joined_at, user_id`,
      [chatId],
    );
  }

  /** Chat rows with their group's id and name (the chat list shows a group by its name). */
  summaries(chatIds: string[]): Promise<ChatSummary[]> {
    return this.db.query(
      `SELECT c.id, c.type, c.last_seq AS "lastSeq", c.updated_at AS "updatedAt",
              g.id AS "groupId", g.name AS "groupName"
         FROM chats c LEFT JOIN groups g ON g.chat_id = c.id WHERE c.id = ANY($1)`,
      [chatIds],
    );
  }

  memberSummaries(chatIds: string[]): Promise<MemberSummary[]> {
    return this.db.query(
      `SELECT chat_id AS "chatId", count(*)::int AS "memberCount", min(last_read_seq) AS "readAllSeq"
         FROM chat_members WHERE chat_id = ANY($1) GROUP BY chat_id`,
      [chatIds],
    );
  }

  memberStates(chatIds: string[]): Promise<MemberState[]> {
    if (chatIds.length === 0) return Promise.resolve([]);
    return this.db.query(
      `SELECT cm.chat_id AS "chatId", cm.user_id AS "userId", cm.role, u.display_name AS "displayName"
         FROM chat_members cm JOIN users u ON u.id = cm.user_id
        WHERE cm.chat_id = ANY($1) ORDER BY cm.joined_at, cm.user_id`,
      [chatIds],
    );
  }

  /** One page of a chat's members, longest-standing first, and how many there are. */
  async membersPage(
    chatId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: Member[]; total: number }> {
    const [items, [{ total }]]: [Member[], { total: number }[]] = await Promise.all([
      this.db.query(
        `SELECT user_id AS "userId", role FROM chat_members WHERE chat_id = $1
          ORDER BY joined_at, user_id LIMIT $2 OFFSET $3`,
        [chatId, limit, offset],
      ),
      this.db.query(`SELECT count(*)::int AS total FROM chat_members WHERE chat_id = $1`, [chatId]),
    ]);
    return { items, total };
  }

  /** For each user, everyone who shares at least one chat with them. */
  async contactsOf(userIds: string[]): Promise<Map<string, string[]>> {
    if (userIds.length === 0) return new Map();
    const rows: { user_id: string; contacts: string[] }[] = await this.db.query(
      `SELECT mine.user_id, array_agg(DISTINCT other.user_id) AS contacts FROM chat_members mine
         JOIN chat_members other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
        WHERE mine.user_id = ANY($1) GROUP BY mine.user_id`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.contacts]));
  }

  /** Which of `userIds` share at least one chat with `viewerId` (the viewer's contacts among them). */
  async sharingAChatWith(viewerId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows: { user_id: string }[] = await this.db.query(
      `SELECT DISTINCT other.user_id FROM chat_members mine
         JOIN chat_members other ON other.chat_id = mine.chat_id
        WHERE mine.user_id = $1 AND other.user_id = ANY($2) AND other.user_id <> $1`,
      [viewerId, userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** Which of `userIds` have a direct chat with `userId` (their "contacts" for group invitations). */
  async directPartners(userId: string, userIds: string[]): Promise<Set<string>> {
    const keys = userIds.map((other) => directKey(userId, other));
    if (keys.length === 0) return new Set();
    const rows: { direct_key: string }[] = await this.db.query(
      `SELECT direct_key FROM chats WHERE type = 'direct' AND direct_key = ANY($1)`,
      [keys],
    );
    const found = new Set(rows.map((r) => r.direct_key));
    return new Set(userIds.filter((other, i) => found.has(keys[i])));
  }

  /** True when the user is a member (and the mark was set). */
  async setMuted(chatId: string, userId: string, muted: boolean): Promise<boolean> {
    const rows = await updateReturning(
      this.db,
      `UPDATE chat_members SET muted = $3 WHERE chat_id = $1 AND user_id = $2 RETURNING user_id`,
      [chatId, userId, muted],
    );
    return rows.length > 0;
  }

  /** Moves the read mark forward to `seq` (never back, never past the newest message); true when it moved. */
  async advanceReadMark(chatId: string, userId: string, seq: number): Promise<boolean> {
    const moved = await updateReturning(
      this.db,
      `UPDATE chat_members cm SET last_read_seq = LEAST($3::int, c.last_seq) FROM chats c
        WHERE c.id = cm.chat_id AND cm.chat_id = $1 AND cm.user_id = $2
          AND cm.last_read_seq < LEAST($3::int, c.last_seq)
        RETURNING cm.last_read_seq`,
      [chatId, userId, seq],
    );
    return moved.length > 0;
  }

  /** The user's read mark (null when not a member) and the chat's lowest mark, read in one statement. */
  async readState(chatId: string, userId: string): Promise<ReadState> {
    const [row]: { last_read_seq: number | null; read_all_seq: number | null }[] = await this.db.query(
      `SELECT max(last_read_seq) FILTER (WHERE user_id = $2) AS last_read_seq, min(last_read_seq) AS read_all_seq
         FROM chat_members WHERE chat_id = $1`,
      [chatId, userId],
    );
    return { lastReadSeq: row.last_read_seq, readAllSeq: row.read_all_seq ?? 0 };
  }

  async readAllSeq(chatId: string): Promise<number> {
    const [row]: { seq: number | null }[] = await this.db.query(
      `SELECT min(last_read_seq) AS seq FROM chat_members WHERE chat_id = $1`,
      [chatId],
    );
    return row.seq ?? 0;
  }

  // ---- membership changes of a group chat (inside the caller's transaction, chat row locked) ----

  /** Locks the chat row: its membership changes (and its sends) then happen one at a time. */
  async lock(tx: Tx, chatId: string): Promise<void> {
    await tx.query(`SELECT 1 FROM chats WHERE id = $1 FOR UPDATE`, [chatId]);
  }

  async insertGroupChat(tx: Tx): Promise<string> {
    const [chat]: { id: string }[] = await tx.query(`INSERT INTO chats (type) VALUES ('group') RETURNING id`);
    return chat.id;
  }

  async memberCount(tx: Tx, chatId: string): Promise<number> {
    const [row]: { n: number }[] = await tx.query(
      `SELECT count(*)::int AS n FROM chat_members WHERE chat_id = $1`,
      [chatId],
    );
    return row.n;
  }

  async roles(tx: Tx, chatId: string, userIds: string[]): Promise<Map<string, MemberRole>> {
    const rows: { user_id: string; role: MemberRole }[] = await tx.query(
      `SELECT user_id, role FROM chat_members WHERE chat_id = $1 AND user_id = ANY($2)`,
      [chatId, userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.role]));
  }

  /**
   * Adds members (skipping those already in) with their read mark at the chat's current seq, so earlier
   * messages are not "unread" for them. Returns who was added.
   */
  async addMembers(
    tx: Tx,
    chatId: string,
    userIds: string[],
    role: MemberRole = 'member',
  ): Promise<string[]> {
    const rows: { user_id: string }[] = await tx.query(
      `INSERT INTO chat_members (chat_id, user_id, role, last_read_seq)
       SELECT c.id, u, $3, c.last_seq FROM chats c, unnest($2::uuid[]) AS u WHERE c.id = $1
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [chatId, userIds, role],
    );
    return rows.map((r) => r.user_id);
  }

  async removeMember(tx: Tx, chatId: string, userId: string): Promise<void> {
    await tx.query(`DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2`, [chatId, userId]);
  }

  /** Makes the longest-standing admin (else member) the owner. */
  async promoteSuccessor(tx: Tx, chatId: string): Promise<void> {
    await tx.query(
      `UPDATE chat_members SET role = 'owner' WHERE (chat_id, user_id) = (
         SELECT chat_id, user_id FROM chat_members WHERE chat_id = $1
          ORDER BY (role = 'admin') DESC, joined_at, user_id LIMIT 1)`,
      [chatId],
    );
  }

  async setRole(tx: Tx, chatId: string, userId: string, role: MemberRole): Promise<void> {
    await tx.query(`UPDATE chat_members SET role = $3 WHERE chat_id = $1 AND user_id = $2`, [
      chatId,
      userId,
      role,
    ]);
  }

  /** Last activity (the chat list's order). */
  async touch(tx: Tx, chatId: string): Promise<void> {
    await tx.query(`UPDATE chats SET updated_at = now() WHERE id = $1`, [chatId]);
  }
}
