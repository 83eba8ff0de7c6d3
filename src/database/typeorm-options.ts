import { join } from 'path';
import { DataSourceOptions } from 'typeorm';

/** Compiled (dist/database) -> dist/migrations/*.js; from source (src/database via ts-node) -> migrations/*.ts. */
const MIGRATIONS = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'migrations', '*.ts')
  : join(__dirname, '..', 'migrations', '*.js');

/**
 * Connection options shared by the application, the CLI and the tests. The application registers its entities
 * through each feature module (TypeOrmModule.forFeature + autoLoadEntities); only the migration CLI needs the
 * whole list (src/cli/data-source.ts), so this layer imports no feature.
 */
export function typeormOptions(
  databaseUrl: string,
  entities: DataSourceOptions['entities'] = [],
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
    extra: { max: 20, connectionTimeoutMillis: 5000 },
  };
}
