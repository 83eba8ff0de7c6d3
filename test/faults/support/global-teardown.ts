import { cleanUpRun, removeRun, runId } from './run-registry';

/** Each test file cleans up after itself; this catches whatever a failing afterAll could not end. */
export default async function globalTeardown(): Promise<void> {
  const id = runId();
  for (const line of cleanUpRun(id)) console.log(`fault tests: teardown ${line}`);
  removeRun(id);
}
