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
import { typeormOptions } from './typeorm-options';

/** db_pool_connections{state}: the pool's size, its idle connections, and requests waiting for one. */
@Injectable()
class PoolMetrics implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const pool = (this.db.driver as PostgresDriver).master as Pool;
    this.metrics.gauge('db_pool_connections', 'PostgreSQL pool connections by state.', ['state'], (set) => {
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
  providers: [Transactions, PoolMetrics],
  exports: [Transactions],
})
export class DatabaseModule {}
