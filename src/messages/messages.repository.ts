import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UnavailableError } from '../common/unavailable';
import { uniqueViolation } from '../database/postgres-errors';
import { SendPool } from '../database/send-pool';
import { updateReturning } from '../database/sql';
import { Tx } from '../database/transactions';
import { MessageEntity, SystemEvent, UQ_MESSAGES_SENDER_CLIENT_MSG_ID } from './message.entity';

/** A stored message as the repository returns it (the entity's columns, no relations). */
export type Message = Omit<MessageEntity, 'chat' | 'sender'>;

/** The select list that maps a messages row to Message, optionally qualified by a table alias. */
const columns = (t = '') =>
  `${t}id, ${t}chat_id AS "chatId", ${t}seq, ${t}sender_id AS "senderId", ${t}client_msg_id AS "clientMsgId",
   ${t}type, ${t}text, ${t}system, ${t}created_at AS "createdAt", ${t}edited_at AS "editedAt",
   ${t}deleted_at AS "deletedAt"`;
const COLUMNS = columns();

/**
 * A chat's member ids as one comma-separated text, split in JS: pg parses a uuid[] character by character
 * (postgres-array), which for a group of 1,000 took about 1 ms and 0.9 MB of garbage per message sent.
 */
const memberIdList = (chat: string) =>
  `(SELECT string_agg(user_id::text, ',') FROM chat_members WHERE chat_id = ${chat})`;
const splitIds = (list: string | null): string[] => (list ? list.split(',') : []);

/**
 * Group commit: many sends, one statement, one transaction, one round trip. For each chat in the batch it
 * locks the chat row (in id order, so two batches never deadlock), takes the next seqs under that lock (so seqs
 * follow commit order with no gaps, and a reader asking for "after seq N" never misses a commit), inserts the
 * messages with a created_at that never decreases as seq grows (taken after the lock, and never before the
 * chat's previous activity), moves each sender's read mark once, and returns each chat's members.
 *
 * Membership is read from the statement's snapshot, taken before it waited for the chat locks; a membership
 * change that committed meanwhile (a member removed while the send waited behind the removal's lock) would make
 * both the membership check and the recipient list stale. So under the lock the chat's members_version (bumped
 * by a trigger on every membership change, migration MembersVersion) is compared with the snapshot's: when it
 * moved, send_retry() fails the statement (40001, MembershipChangedError) and the batch runs again with a new
 * snapshot. Once the lock is held no membership change can commit before this statement does.
 *
 * Idempotency stays the unique index's decision, message by message: a (sender_id, client_msg_id) already
 * stored comes back as 'existing' and takes no seq; one that another transaction is inserting right now makes
 * the whole statement fail on the index (and roll back, seqs included), and the caller runs the batch again,
 * which then finds it stored. Membership is checked here, atomically with the insert (the send path's access
 * check; AccessService only explains a refusal): a non-member's message takes no seq and gets no row back.
 *
 * It runs on the send pool (SendPool), which keeps one generic plan per connection, built from whatever the
 * statistics say at that moment. So every lookup of a send is written as a probe per input row that the
 * planner cannot turn around into a scan of the table: the idempotency lookup is a LATERAL subquery with a
 * LIMIT, the membership check an EXISTS with OFFSET 0 (which keeps it a per-row subplan instead of a join),
 * the chat rows are locked by a LATERAL probe per chat, in id order (the sorted aggregate drives the loop),
 * and updated through `id = ANY (...)`. test/send-plan.e2e-spec.ts checks the plan; a test in
 * messaging.e2e-spec.ts checks the lock order (shuffled batches at once deadlock without it).
 */
export const SEND_BATCH_SQL = `
WITH fence AS (
  INSERT INTO send_fences (batch_id) VALUES ($6::uuid)
), input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::varchar[], $5::varchar[])
    WITH ORDINALITY AS t(id, chat_id, sender_id, client_msg_id, text, ord)
), existing AS (
  SELECT i.ord, m.* FROM input i
   CROSS JOIN LATERAL (SELECT * FROM messages m
                        WHERE m.sender_id = i.sender_id AND m.client_msg_id = i.client_msg_id LIMIT 1) m
), fresh AS (
  SELECT i.*, row_number() OVER (PARTITION BY i.chat_id ORDER BY i.ord) AS n FROM input i
   WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.ord = i.ord)
     AND EXISTS (SELECT 1 FROM chat_members cm
                  WHERE cm.chat_id = i.chat_id AND cm.user_id = i.sender_id OFFSET 0)
), locked AS MATERIALIZED (
  SELECT c.id, f.cnt, c.members_version = f.seen_version AS members_as_seen
    FROM (SELECT chat_id, count(*)::int AS cnt,
                 (SELECT members_version FROM chats WHERE id = fresh.chat_id) AS seen_version
            FROM fresh GROUP BY chat_id ORDER BY chat_id) f
   CROSS JOIN LATERAL (SELECT id, members_version FROM chats WHERE id = f.chat_id FOR NO KEY UPDATE) c
), bump AS (
  UPDATE chats c
     SET last_seq = c.last_seq + CASE WHEN l.members_as_seen THEN l.cnt ELSE send_retry(c.id) END,
         updated_at = greatest(clock_timestamp(), c.updated_at)
    FROM locked l
   WHERE c.id = l.id AND c.id = ANY (ARRAY(SELECT id FROM locked))
  RETURNING c.id, c.last_seq - l.cnt AS base_seq, c.updated_at
), inserted AS (
  INSERT INTO messages (id, chat_id, seq, sender_id, client_msg_id, text, created_at)
  SELECT f.id, f.chat_id, b.base_seq + f.n, f.sender_id, f.client_msg_id, f.text, b.updated_at
    FROM fresh f JOIN bump b ON b.id = f.chat_id
  RETURNING *
), own_mark AS (
  UPDATE chat_members cm SET last_read_seq = x.seq
    FROM (SELECT chat_id, sender_id, max(seq) AS seq FROM inserted GROUP BY chat_id, sender_id) x
   WHERE cm.chat_id = x.chat_id AND cm.user_id = x.sender_id AND cm.last_read_seq < x.seq
)
SELECT 'inserted' AS status, f.ord, ${columns('ins.')}, NULL::text AS "memberIds"
  FROM inserted ins JOIN fresh f ON f.id = ins.id
UNION ALL
SELECT 'existing', e.ord, ${columns('e.')}, NULL FROM existing e
UNION ALL
SELECT 'members', NULL, b.id, b.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       ${memberIdList('b.id')}
  FROM bump b`;

/**
 * A service message, in the caller's transaction (which holds the chat row's lock, like a send): the next seq,
 * a created_at that keeps the chat's order, and the actor's read mark moved past it.
 */
const SYSTEM_SQL = `
WITH fence AS (
  INSERT INTO send_fences (batch_id) VALUES ($6::uuid)
), bump AS (
  UPDATE chats SET last_seq = last_seq + 1, updated_at = greatest(clock_timestamp(), updated_at)
   WHERE id = $1 RETURNING last_seq, updated_at
), inserted AS (
  INSERT INTO messages (id, chat_id, seq, sender_id, client_msg_id, type, system, created_at)
  SELECT $2, $1, last_seq, $3, $5, 'system', $4::jsonb, updated_at FROM bump
  RETURNING *
), own_mark AS (
  UPDATE chat_members cm SET last_read_seq = inserted.seq FROM inserted
   WHERE cm.chat_id = $1 AND cm.user_id = $3 AND cm.last_read_seq < inserted.seq
)
SELECT ${columns('inserted.')} FROM inserted`;

/** A send as the batch statement takes it; `id` is chosen by the caller (so it is known before the commit). */
export interface NewMessage {
  id: string;
  chatId: string;
  senderId: string;
  clientMsgId: string;
  text: string;
}

/** Per input, in input order: stored now (with the chat's members), stored before, or refused (not a member). */
export type SendOutcome =
  | { kind: 'inserted'; message: Message; memberIds: string[] }
  | { kind: 'existing'; message: Message }
  | { kind: 'refused' };

export class DuplicateInFlightError extends Error {}

/** The chat's members changed while the batch waited for its lock: nothing was stored; run it again. */
export class MembershipChangedError extends Error {}

/** The redelivery sweeper gave this batch up (see DeliveryOutbox) before its statement reached PostgreSQL. */
export class SendFencedError extends UnavailableError {
  constructor() {
    super('the send reached PostgreSQL after its delivery outbox entry was given up; retry it');
  }
}

const PK_SEND_FENCES = 'PK_send_fences';
/** What send_retry() raises (migration MembersVersion). */
const SERIALIZATION_FAILURE = '40001';

/** A message not yet read by a user, with what a notification shows about it. */
export interface UnreadForNotification {
  seq: number;
  text: string;
  senderName: string;
  chatType: 'direct' | 'group' | 'saved';
  groupName: string | null;
}

/** Every query on `messages`, including the send statement (which also bumps the chat's seq). */
@Injectable()
export class MessagesRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sendPool: SendPool,
  ) {}

  /**
   * Stores a batch of sends (see SEND_BATCH_SQL). Nothing was stored, and the batch should run again, when it
   * throws DuplicateInFlightError (another transaction was storing one of the same (sender, clientMsgId) at the
   * same moment) or MembershipChangedError. `batchId` is the DeliveryOutbox entry's; the statement fails with
   * SendFencedError if that batch was fenced.
   */
  async insertBatch(sends: NewMessage[], batchId: string): Promise<SendOutcome[]> {
    let rows: (Message & { status: string; ord: string | null; memberIds: string | null })[];
    try {
      // A named statement: parsed and planned once per connection, not once per batch.
      ({ rows } = await this.sendPool.pool.query({
        name: 'messages-send-batch',
        text: SEND_BATCH_SQL,
        values: [
          sends.map((s) => s.id),
          sends.map((s) => s.chatId),
          sends.map((s) => s.senderId),
          sends.map((s) => s.clientMsgId),
          sends.map((s) => s.text),
          batchId,
        ],
      }));
    } catch (err) {
      const violated = uniqueViolation(err);
      if (violated === UQ_MESSAGES_SENDER_CLIENT_MSG_ID) throw new DuplicateInFlightError();
      if (violated === PK_SEND_FENCES) throw new SendFencedError();
      if ((err as { code?: string }).code === SERIALIZATION_FAILURE) throw new MembershipChangedError();
      throw err;
    }
    const members = new Map<string, string[]>();
    const outcomes: SendOutcome[] = sends.map(() => ({ kind: 'refused' }));
    for (const row of rows) if (row.status === 'members') members.set(row.id, splitIds(row.memberIds));
    for (const { status, ord, memberIds: _none, ...message } of rows) {
      if (status === 'members') continue;
      const i = Number(ord) - 1;
      outcomes[i] =
        status === 'inserted'
          ? { kind: 'inserted', message, memberIds: members.get(message.chatId)! }
          : { kind: 'existing', message };
    }
    return outcomes;
  }

  async insertSystem(
    tx: Tx,
    id: string,
    chatId: string,
    system: SystemEvent,
    batchId: string,
  ): Promise<Message> {
    try {
      const [row]: Message[] = await tx.query(SYSTEM_SQL, [
        chatId,
        id,
        system.actorId,
        JSON.stringify(system),
        `system-${id}`,
        batchId,
      ]);
      return row;
    } catch (err) {
      if (uniqueViolation(err) === PK_SEND_FENCES) throw new SendFencedError();
      throw err;
    }
  }

  /**
   * Makes sure none of these batches can still commit: a statement that has written its fence row is waited
   * for (and then the row is taken); one that has not yet will fail on the row written here.
   */
  async fence(batchIds: string[]): Promise<void> {
    if (batchIds.length === 0) return;
    await this.db.query(
      `INSERT INTO send_fences (batch_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING`,
      [batchIds],
    );
  }

  /** Fence rows older than any statement could still be; what a purged row fenced has long been settled. */
  async purgeFences(olderThanSec: number): Promise<void> {
    await this.db.query(`DELETE FROM send_fences WHERE created_at < now() - make_interval(secs => $1)`, [
      olderThanSec,
    ]);
  }

  async findBySender(senderId: string, clientMsgId: string): Promise<Message | null> {
    const rows: Message[] = await this.db.query(
      `SELECT ${COLUMNS} FROM messages WHERE sender_id = $1 AND client_msg_id = $2`,
      [senderId, clientMsgId],
    );
    return rows[0] ?? null;
  }

  async findByIds(ids: string[]): Promise<Message[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT ${COLUMNS} FROM messages WHERE id = ANY($1) ORDER BY chat_id, seq`, [ids]);
  }

  /**
   * Messages created since `since` in the chats of these users, with each chat's members and lowest read mark:
   * what an instance re-sends to its own sockets after its pub/sub connection was away. Only chats active since
   * then (updated_at), and in each at most its last `perChat` messages (seq range: an index range, not a scan).
   */
  async recentInChatsOf(
    userIds: string[],
    since: Date,
    perChat: number,
  ): Promise<(Message & { memberIds: string[]; readAllSeq: number })[]> {
    if (userIds.length === 0) return [];
    const rows: (Message & { memberIds: string | null; readAllSeq: number })[] = await this.db.query(
      `SELECT ${columns('m.')}, c.member_ids AS "memberIds", c.read_all AS "readAllSeq"
         FROM (SELECT c.id, c.last_seq, ${memberIdList('c.id')} AS member_ids,
                      (SELECT coalesce(min(last_read_seq), 0) FROM chat_members WHERE chat_id = c.id) AS read_all
                 FROM chats c
                WHERE c.updated_at >= $2
                  AND c.id IN (SELECT chat_id FROM chat_members WHERE user_id = ANY($1::uuid[]))) c
         JOIN messages m ON m.chat_id = c.id AND m.seq > c.last_seq - $3
        WHERE m.created_at >= $2 AND m.deleted_at IS NULL
        ORDER BY m.chat_id, m.seq`,
      [userIds, since, perChat],
    );
    // Split once per chat, not once per message.
    const byChat = new Map<string, string[]>();
    return rows.map((row) => {
      let memberIds = byChat.get(row.chatId);
      if (!memberIds) byChat.set(row.chatId, (memberIds = splitIds(row.memberIds)));
      return { ...row, memberIds };
    });
  }

  async findById(id: string): Promise<Message | null> {
    const rows: Message[] = await this.db.query(`SELECT ${COLUMNS} FROM messages WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Up to `limit` messages before `beforeSeq` (newest first) or after `afterSeq` (oldest first), whether
   * `userId` is a member, and the chat's lowest read mark (for each message's `read`), in one round trip: the
   * membership is checked by the same statement that reads the page (no cache involved, so a removed member
   * is refused at once), and the page is only read for a member.
   */
  async page(
    chatId: string,
    userId: string,
    from: { beforeSeq: number } | { afterSeq: number },
    limit: number,
  ): Promise<{ isMember: boolean; messages: Message[]; readAllSeq: number }> {
    const [range, order] = 'beforeSeq' in from ? ['seq < $2', 'DESC'] : ['seq > $2', 'ASC'];
    const rows: (Message & { isMember: boolean; readAllSeq: number })[] = await this.db.query(
      `SELECT me.is_member AS "isMember", me.read_all AS "readAllSeq", p.*
         FROM (SELECT EXISTS (SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $4) AS is_member,
                      (SELECT coalesce(min(last_read_seq), 0) FROM chat_members WHERE chat_id = $1) AS read_all) me
         LEFT JOIN LATERAL (
           SELECT ${COLUMNS} FROM messages WHERE chat_id = $1 AND ${range} ORDER BY seq ${order} LIMIT $3
         ) p ON me.is_member
        ORDER BY p.seq ${order}`,
      [chatId, 'beforeSeq' in from ? from.beforeSeq : from.afterSeq, limit, userId],
    );
    const { isMember, readAllSeq } = rows[0];
    const messages = rows.filter((r) => r.id !== null).map(({ isMember: _m, readAllSeq: _r, ...m }) => m);
    return { isMember, messages, readAllSeq };
  }

  /** null when the message is deleted (or gone). */
  async editText(id: string, text: string): Promise<Message | null> {
    const rows = await updateReturning<Message>(
      this.db,
      `UPDATE messages SET text = $2, edited_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      [id, text],
    );
    return rows[0] ?? null;
  }

  /** Soft delete: id and seq stay, the text goes. null when it was already deleted. */
  async softDelete(id: string): Promise<Message | null> {
    const rows = await updateReturning<Message>(
      this.db,
      `UPDATE messages SET text = NULL, deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** The newest message of each chat. */
  lastOf(chatIds: string[]): Promise<Message[]> {
    return this.db.query(
      `SELECT ${columns('m.')} FROM chats c JOIN messages m ON m.chat_id = c.id AND m.seq = c.last_seq
        WHERE c.id = ANY($1)`,
      [chatIds],
    );
  }

  /**
   * Per (chat, user): unread messages from others (deleted and service messages excluded) and whether the user
   * muted the chat. Walks (chat_id, seq) from each reader's mark: the cost grows with the unread count, not
   * with the history. Keyed "chatId:userId".
   */
  async viewerStates(
    pairs: { chatId: string; userId: string }[],
  ): Promise<Map<string, { unread: number; muted: boolean }>> {
    const rows: { chat_id: string; user_id: string; unread: number; muted: boolean }[] = await this.db.query(
      `SELECT v.chat_id, v.user_id, cm.muted,
              (SELECT count(*) FROM messages m
                WHERE m.chat_id = v.chat_id AND m.seq > cm.last_read_seq AND m.type = 'text'
                  AND m.deleted_at IS NULL AND m.sender_id <> v.user_id)::int AS unread
         FROM unnest($1::uuid[], $2::uuid[]) AS v(chat_id, user_id)
         JOIN chat_members cm ON cm.chat_id = v.chat_id AND cm.user_id = v.user_id`,
      [pairs.map((p) => p.chatId), pairs.map((p) => p.userId)],
    );
    return new Map(rows.map((r) => [`${r.chat_id}:${r.user_id}`, { unread: r.unread, muted: r.muted }]));
  }

  /**
   * What a notification would gather: text messages from others, after the user's read mark and after
   * `afterSeq` — none when the user muted the chat.
   */
  unreadForNotification(userId: string, chatId: string, afterSeq: number): Promise<UnreadForNotification[]> {
    return this.db.query(
      `SELECT m.seq, m.text, u.display_name AS "senderName", c.type AS "chatType", g.name AS "groupName"
         FROM chat_members cm
         JOIN chats c ON c.id = cm.chat_id
         LEFT JOIN groups g ON g.chat_id = c.id
         JOIN messages m ON m.chat_id = cm.chat_id AND m.seq > GREATEST(cm.last_read_seq, $3)
                        AND m.type = 'text' AND m.deleted_at IS NULL AND m.sender_id <> cm.user_id
         JOIN users u ON u.id = m.sender_id
        WHERE cm.chat_id = $1 AND cm.user_id = $2 AND NOT cm.muted
        ORDER BY m.seq`,
      [chatId, userId, afterSeq],
    );
  }
}
