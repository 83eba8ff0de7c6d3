import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { UserEntity } from '../users/user.entity';
import { ChatEntity } from './chat.entity';

export type MemberRole = 'owner' | 'admin' | 'member';

@Entity('chat_members')
@Check('CHK_chat_members_role', `"role" IN ('owner', 'admin', 'member')`)
@Index('IDX_chat_members_user', ['userId'])
export class ChatMemberEntity {
  @PrimaryColumn({ name: 'chat_id', type: 'uuid' })
  chatId: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 8, default: 'member' })
  role: MemberRole;

  /** Read mark: every message with seq <= this has been read by the member. Only ever moves forward. */
  @Column({ name: 'last_read_seq', type: 'integer', default: 0 })
  lastReadSeq: number;

  /** A muted chat raises no notifications for this member (Telegram, the web client's). */
  @Column({ type: 'boolean', default: false })
  muted: boolean;

  @Column({ name: 'joined_at', type: 'timestamptz', default: () => 'now()' })
  joinedAt: Date;

  @ManyToOne(() => ChatEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'chat_id' })
  chat?: ChatEntity;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;
}
