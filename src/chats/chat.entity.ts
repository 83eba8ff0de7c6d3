import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ChatType = 'direct' | 'group' | 'saved';

@Entity('chats')
@Check('CHK_chats_type', `"type" IN ('direct', 'group', 'saved')`)
export class ChatEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 8 })
  type: ChatType;

  /**
   * "<smaller uuid>:<larger uuid>" for a direct chat, "<uuid>" for a saved chat, null for groups.
   * Its unique index is what makes get-or-create race-free (INSERT ... ON CONFLICT).
   */
  @Index('UQ_chats_direct_key', { unique: true })
  @Column({ name: 'direct_key', type: 'varchar', length: 73, nullable: true })
  directKey: string | null;

  /** The seq of the newest message; incremented under the row lock in the sending transaction. */
  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq: number;

  /** Bumped by a trigger on every membership change (migration MembersVersion): see SEND_BATCH_SQL. */
  @Column({ name: 'members_version', type: 'integer', default: 0 })
  membersVersion: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Last activity (message, rename, membership): the order of the chat list. */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
