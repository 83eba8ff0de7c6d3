import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { updateReturning } from '../database/sql';
import { Tx } from '../database/transactions';
import { GroupEntity } from './group.entity';

export type Group = Omit<GroupEntity, 'chat' | 'creator'>;

const COLUMNS = `g.id, g.chat_id AS "chatId", g.name, g.creator_id AS "creatorId", g.created_at AS "createdAt"`;

/** Every query on `groups`. Membership and roles live in chat_members (ChatsRepository). */
@Injectable()
export class GroupsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(tx: Tx, chatId: string, name: string, creatorId: string): Promise<Group> {
    const [group]: Group[] = await tx.query(
      `INSERT INTO groups AS g (chat_id, name, creator_id) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [chatId, name, creatorId],
    );
    return group;
  }

  async findById(groupId: string): Promise<Group | null> {
    const rows: Group[] = await this.db.query(`SELECT ${COLUMNS} FROM groups g WHERE g.id = $1`, [groupId]);
    return rows[0] ?? null;
  }

  /** The oldest group of that name created by that user (the demo seed finds its group again by it). */
  async findByName(creatorId: string, name: string): Promise<Group | null> {
    const rows: Group[] = await this.db.query(
      `SELECT ${COLUMNS} FROM groups g WHERE g.creator_id = $1 AND g.name = $2 ORDER BY g.created_at LIMIT 1`,
      [creatorId, name],
    );
    return rows[0] ?? null;
  }

  /**
   * The group, with its chat row locked for the rest of the transaction: membership changes of one group
   * (and its sends, which bump the same row) then happen one at a time.
   */
  async findAndLock(tx: Tx, groupId: string): Promise<Group | null> {
    const rows: Group[] = await tx.query(
      `SELECT ${COLUMNS} FROM groups g JOIN chats c ON c.id = g.chat_id WHERE g.id = $1 FOR UPDATE OF c`,
      [groupId],
    );
    return rows[0] ?? null;
  }

  async rename(tx: Tx, groupId: string, name: string): Promise<Group> {
    const [group] = await updateReturning<Group>(
      tx,
      `UPDATE groups g SET name = $2 WHERE g.id = $1 RETURNING ${COLUMNS}`,
      [groupId, name],
    );
    return group;
  }
}
