import { join } from 'path';
import { DataSourceOptions } from 'typeorm';

/** Compiled (dist/database) -> dist/migrations/*.js; from source (src/database via ts-node) -> migrations/*.ts. */
const MIGRATIONS = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'migrations', '*.ts')
  : join(__dirname, '..', 'migrations', '*.js');

/**
 * Every query has a deadline, so a stalled or overloaded PostgreSQL turns into prompt 503s instead of requests
 * that hang: the server cancels a statement after `statementTimeoutMs`; the client gives up a little later
 * (a stopped server cannot cancel anything); waiting for a pooled connection, or opening one, is bounded too;
 * and a transaction left idle (a crashed request) is ended by the server.
 */
export function poolOptions(statementTimeoutMs: number) {
  return {
    max: 20,
    // A request waits for a connection, then for its query: both bounded, together about 1.75 x the timeout.
    connectionTimeoutMillis: Math.ceil(statementTimeoutMs / 2),
    statement_timeout: statementTimeoutMs,
    query_timeout: Math.ceil(statementTimeoutMs * 1.25),
    idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    // The send batch is a named statement (parsed once per connection), but its best plan depends on the
    // arrays it gets: after five executions PostgreSQL may switch to a generic plan, which the benchmark caught
    // costing about twice the CPU per message at 1,000 msg/s (PostgreSQL 89 % of a core instead of 48 %).
    // Planning each execution is the cheaper side of that trade.
    options: '-c plan_cache_mode=force_custom_plan',
    keepAlive: true,
  };
}

/**
 * Connection options shared by the application, the CLI and the tests. The application registers its entities
 * through each feature module (TypeOrmModule.forFeature + autoLoadEntities); only the migration CLI needs the
 * whole list (src/cli/data-source.ts), so this layer imports no feature.
 */
export function typeormOptions(
  databaseUrl: string,
  entities: DataSourceOptions['entities'] = [],
  statementTimeoutMs = 5000,
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations: [MIGRATIONS],
    migrationsTableName: 'migrations',
    // The schema comes only from migrations.
    // gen_random_uuid() is built into PostgreSQL 13+, so no extension (and no superuser) is needed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    extra: poolOptions(statementTimeoutMs),
  };
}
