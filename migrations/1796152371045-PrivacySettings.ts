import { MigrationInterface, QueryRunner } from 'typeorm';

export class PrivacySettings1796152371045 implements MigrationInterface {
  name = 'PrivacySettings1796152371045';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "users" ADD "group_invites" character varying(8) NOT NULL DEFAULT 'everyone'`,
    );
    await queryRunner.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_group_invites" CHECK ("group_invites" IN ('everyone', 'contacts'))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP CONSTRAINT "CHK_users_group_invites"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "group_invites"`);
  }
}
