import { join } from 'path';
import { DataSourceOptions } from 'typeorm';
import { DetachingClient } from './pg-client';

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
    // pg-pool opens its connections with this class: rows that die young with their request (see its doc).
    Client: DetachingClient,
    max: 20,
    // A request waits for a connection, then for its query: both bounded, together about 1.75 x the timeout.
    connectionTimeoutMillis: Math.ceil(statementTimeoutMs / 2),
    statement_timeout: statementTimeoutMs,
    query_timeout: Math.ceil(statementTimeoutMs * 1.25),
    idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    keepAlive: true,
  };
}

/** Connections for the send batch; the send batcher keeps at most this many statements in flight. */
export const SEND_POOL_SIZE = 4;

/**
 * A send-pool connection is replaced after this long (when it is next released), so its generic plan is made
 * again from the statistics of then, not kept for the life of the process from those of its first send.
 */
export const SEND_POOL_LIFETIME_SECONDS = 600;

/**
 * The send pool's connections (see SendPool): the main pool's deadlines, and a planner that keeps one plan for
 * the send batch and can only build it from index probes. The send batch is a named statement: planning it
 * for every execution (a custom plan) cost about 0.75 ms of PostgreSQL CPU per batch, more than half of
 * PostgreSQL's work per message at 1,000 msg/s. A generic plan is planned once per connection, but it is built
 * from the statistics of that moment: built while `messages` was empty (a new installation, the benchmark) it
 * scanned the whole table for the idempotency check, and kept doing so as the table grew. Here sequential
 * scans, hash joins and merge joins are off (they cost a penalty, so they are chosen only where nothing else
 * exists), and the statement is written so that each lookup is a per-row probe (see SEND_BATCH_SQL).
 * Even so, a plan made on nearly empty tables looks a membership up by the user_id index and then walks all
 * of the sender's memberships (on a table of two rows every index is as good as another); so a connection
 * lives SEND_POOL_LIFETIME_SECONDS, and the next one plans on the statistics of its own time.
 */
export function sendPoolOptions(databaseUrl: string, statementTimeoutMs: number) {
  return {
    ...poolOptions(statementTimeoutMs),
    connectionString: databaseUrl,
    max: SEND_POOL_SIZE,
    maxLifetimeSeconds: SEND_POOL_LIFETIME_SECONDS,
    options: [
      'plan_cache_mode=force_generic_plan',
      'enable_seqscan=off',
      'enable_hashjoin=off',
      'enable_mergejoin=off',
    ]
      .map((o) => `-c ${o}`)
      .join(' '),
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
