import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per send batch (its outbox entry's id), written by the batch statement itself, or by the redelivery
 * sweeper to fence off a batch whose statement may still be queued somewhere: whichever writes second fails
 * (or, for the sweeper, finds it taken), so "no rows yet" can be told from "never will be". UNLOGGED: no WAL;
 * a crash truncates it, and also ends every statement that could still need it.
 */
export class SendFences1796200000000 implements MigrationInterface {
  name = 'SendFences1796200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE UNLOGGED TABLE "send_fences" ("batch_id" uuid NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(), CONSTRAINT "PK_send_fences" PRIMARY KEY ("batch_id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "send_fences"`);
  }
}
