import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const UQ_USERS_EMAIL = 'UQ_users_email';
export const UQ_USERS_USERNAME = 'UQ_users_username';

export type GroupInvites = 'everyone' | 'contacts';

@Entity('users')
@Check('CHK_users_group_invites', `"group_invites" IN ('everyone', 'contacts')`)
@Index(UQ_USERS_EMAIL, ['email'], { unique: true })
@Index(UQ_USERS_USERNAME, ['username'], { unique: true })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored lower-cased, so the plain unique index is case-insensitive. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  /** Stored lower-cased; `[a-z0-9_]{3,32}`. */
  @Column({ type: 'varchar', length: 32 })
  username: string;

  @Column({ name: 'display_name', type: 'varchar', length: 64 })
  displayName: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 72, select: false })
  passwordHash: string;

  /** Who may add this user to groups: anyone, or only users they share a direct chat with. */
  @Column({ name: 'group_invites', type: 'varchar', length: 8, default: 'everyone' })
  groupInvites: GroupInvites;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
