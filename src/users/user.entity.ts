import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const UQ_USERS_EMAIL = 'UQ_users_email';
export const UQ_USERS_USERNAME = 'UQ_users_username';

@Entity('users')
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

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
