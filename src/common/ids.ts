import { applyDecorators, PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';
import { AppError } from './app-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one canonical form of an id: a UUID in lower case. PostgreSQL compares UUIDs case-insensitively while the
 * app compares strings (cache keys, room names, membership lists), so every id is parsed into this form at the
 * boundary — REST params and bodies, socket payloads — and nothing past the boundary ever sees another form.
 */
export function canonicalId(value: unknown): string | null {
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : null;
}

/** For route params: `@Param('id', IdParam)`. 400 names the parameter. */
export class IdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: { data?: string }): string {
    const id = canonicalId(value);
    if (id === null) {
      const field = metadata.data ?? 'id';
      throw new AppError('VALIDATION_FAILED', `${field} must be a UUID`, [
        { field, errors: [`${field} must be a UUID`] },
      ]);
    }
    return id;
  }
}

export const IdParam = new IdPipe();

const lowerCase = (value: unknown): unknown =>
  typeof value === 'string' ? value.toLowerCase() : Array.isArray(value) ? value.map(lowerCase) : value;

/** For DTO fields (a single id or, with `{ each: true }`, an array of them). */
export function IsId(options: { each?: boolean } = {}): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => lowerCase(value)),
    IsUUID('all', { each: options.each }),
  );
}
