import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ChatEntity } from '../chats/chat.entity';
import { UserEntity } from '../users/user.entity';

export const UQ_MESSAGES_SENDER_CLIENT_MSG_ID = 'UQ_messages_sender_client_msg_id';

@Entity('messages')
// History pages and afterSeq catch-up walk this index, so a page costs the same at any depth.
@Index('UQ_messages_chat_seq', ['chatId', 'seq'], { unique: true })
// Idempotent sends: a retried (sender, clientMsgId) hits this index instead of creating a second row.
@Index(UQ_MESSAGES_SENDER_CLIENT_MSG_ID, ['senderId', 'clientMsgId'], { unique: true })
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'chat_id', type: 'uuid' })
  chatId: string;

  @Column({ type: 'integer' })
  seq: number;

  @Column({ name: 'sender_id', type: 'uuid' })
  senderId: string;

  @Column({ name: 'client_msg_id', type: 'varchar', length: 64 })
  clientMsgId: string;

  /** Null once deleted. */
  @Column({ type: 'varchar', length: 4096, nullable: true })
  text: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'edited_at', type: 'timestamptz', nullable: true })
  editedAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @ManyToOne(() => ChatEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'chat_id' })
  chat?: ChatEntity;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sender_id' })
  sender?: UserEntity;
}
