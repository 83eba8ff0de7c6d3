import { MigrationInterface, QueryRunner } from 'typeorm';

export class ServiceMessagesAndMute1796155964122 implements MigrationInterface {
  name = 'ServiceMessagesAndMute1796155964122';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "chat_members" ADD "muted" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "type" character varying(8) NOT NULL DEFAULT 'text'`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "system" jsonb`);
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "CHK_messages_type" CHECK ("type" IN ('text', 'system'))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "CHK_messages_type"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "system"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "type"`);
    await queryRunner.query(`ALTER TABLE "chat_members" DROP COLUMN "muted"`);
  }
}
