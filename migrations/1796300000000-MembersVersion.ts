import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * chats.members_version counts the chat's membership changes: a trigger bumps it whenever chat_members rows are
 * inserted or deleted, in the changing transaction (which thereby writes the chat row, and so waits for, and
 * is waited for by, the sends that lock it). The send statement compares the version its snapshot saw with
 * the one under the chat row's lock: a difference means its membership check and its recipient list are out
 * of date, and send_retry() rolls the statement back (SQLSTATE 40001, serialization failure) to run again.
 */
export class MembersVersion1796300000000 implements MigrationInterface {
  name = 'MembersVersion1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "chats" ADD "members_version" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      CREATE FUNCTION chat_members_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- In id order, as sends lock them: a change touching several chats never deadlocks with a send batch.
        PERFORM 1 FROM chats WHERE id IN (SELECT chat_id FROM changed) ORDER BY id FOR NO KEY UPDATE;
        UPDATE chats SET members_version = members_version + 1
         WHERE id IN (SELECT DISTINCT chat_id FROM changed);
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER chat_members_added AFTER INSERT ON chat_members REFERENCING NEW TABLE AS changed
         FOR EACH STATEMENT EXECUTE FUNCTION chat_members_changed()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER chat_members_removed AFTER DELETE ON chat_members REFERENCING OLD TABLE AS changed
         FOR EACH STATEMENT EXECUTE FUNCTION chat_members_changed()`,
    );
    await queryRunner.query(`
      CREATE FUNCTION send_retry(chat uuid) RETURNS integer LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the members of chat % changed while a send waited for its lock', chat
          USING ERRCODE = 'serialization_failure';
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION send_retry(uuid)`);
    await queryRunner.query(`DROP TRIGGER chat_members_removed ON chat_members`);
    await queryRunner.query(`DROP TRIGGER chat_members_added ON chat_members`);
    await queryRunner.query(`DROP FUNCTION chat_members_changed()`);
    await queryRunner.query(`ALTER TABLE "chats" DROP COLUMN "members_version"`);
  }
}
