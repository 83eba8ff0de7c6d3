import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { sendPoolOptions } from './typeorm-options';

/**
 * PostgreSQL connections that run only the send batch (MessagesRepository.insertBatch), with planner settings
 * of their own (sendPoolOptions). Closed after everything else has shut down (the gateway drains the sends
 * that are in flight before that).
 */
@Injectable()
export class SendPool implements OnApplicationShutdown {
  private readonly logger = new Logger(SendPool.name);
  readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool(sendPoolOptions(config.databaseUrl, config.dbStatementTimeoutMs));
    // An idle connection that breaks (PostgreSQL restarted) is dropped by the pool; without a listener the
    // 'error' event would end the process.
    this.pool.on('error', (err) => this.logger.warn(`send pool connection lost: ${err.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
