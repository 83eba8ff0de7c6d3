import { QueryFailedError } from 'typeorm';

/** The unique constraint a failed INSERT/UPDATE violated, or undefined for any other error. */
export function uniqueViolation(err: unknown): string | undefined {
  if (err instanceof QueryFailedError && (err.driverError as { code?: string })?.code === '23505') {
    return (err.driverError as { constraint?: string }).constraint ?? '';
  }
  const raw = err as { code?: string; constraint?: string };
  if (raw?.code === '23505') return raw.constraint ?? '';
  return undefined;
}
