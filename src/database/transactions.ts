import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** A transaction handle. Services only pass it from Transactions.run() to repository methods. */
export type Tx = EntityManager;

/**
 * Lets a service run several repository calls as one transaction (e.g. lock a group's chat row, check roles,
 * change members) while the SQL stays in the repositories. Repository methods take an optional Tx.
 */
@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * Runs `work` while holding a PostgreSQL advisory lock, so only one process at a time does it (e.g. two
   * seeders creating one demo group). The lock lives on a connection of its own and ends with it.
   */
  async exclusive<T>(lockKey: number, work: () => Promise<T>): Promise<T> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [lockKey]);
      try {
        return await work();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [lockKey]);
      }
    } finally {
      await runner.release();
    }
  }
}
