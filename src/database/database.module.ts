import { Global, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { Metrics } from '../common/metrics';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Transactions } from './transactions';
import { SendPool } from './send-pool';
import { typeormOptions } from './typeorm-options';

/** db_pool_connections{state} and db_send_pool_connections{state}: size, idle connections, requests waiting. */
@Injectable()
class PoolMetrics implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sendPool: SendPool,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const pools: [string, string, Pool][] = [
      [
        'db_pool_connections',
        'PostgreSQL pool connections by state.',
        (this.db.driver as PostgresDriver).master,
      ],
      ['db_send_pool_connections', 'PostgreSQL send-batch pool connections by state.', this.sendPool.pool],
    ];
    for (const [name, help, pool] of pools)
      this.metrics.gauge(name, help, ['state'], (set) => {
        set(pool.totalCount, { state: 'total' });
        set(pool.idleCount, { state: 'idle' });
        set(pool.waitingCount, { state: 'waiting' });
      });
  }
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...typeormOptions(config.databaseUrl, [], config.dbStatementTimeoutMs),
        // Each feature module registers its own entities (TypeOrmModule.forFeature).
        autoLoadEntities: true,
        retryAttempts: 3,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [Transactions, SendPool, PoolMetrics],
  exports: [Transactions, SendPool],
})
export class DatabaseModule {}
