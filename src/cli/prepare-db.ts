import 'reflect-metadata';
import { loadConfig } from '../config/app-config';
import { prepareDatabase } from '../database/prepare-database';

prepareDatabase(loadConfig().databaseUrl).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
