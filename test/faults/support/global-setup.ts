import { cleanUpStaleRuns, createRun } from './run-registry';

/** A run directory for this run's resources; leftovers of runs that crashed are ended first. */
export default async function globalSetup(): Promise<void> {
  for (const line of cleanUpStaleRuns()) console.log(`fault tests: cleaned up after an earlier run: ${line}`);
  createRun();
}
