import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError } from './app-error';

export interface FieldError {
  field: string;
  errors: string[];
}

/** Deeper than any request this API takes; deeper input is refused before anything walks it recursively. */
export const MAX_INPUT_DEPTH = 16;

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

export function validationError(errors: ValidationError[]): AppError {
  return invalid(flatten(errors));
}

function invalid(details: FieldError[]): AppError {
  const message = details.map((d) => d.errors.join(', ')).join('; ') || 'Validation failed';
  return new AppError('VALIDATION_FAILED', message, details);
}

/**
 * What no field may hold, checked on every body, query and route parameter before anything
 * else reads it: a NUL character (PostgreSQL text cannot store one, so it would fail deep inside a query), a key
 * named like a property every object inherits (__proto__, constructor, toString, ...) and nesting deeper than
 * MAX_INPUT_DEPTH (the recursive transform would overflow the stack). Iterative, so the
 * check itself cannot overflow. Throws VALIDATION_FAILED naming the field.
 */
export function checkInput(value: unknown, root = ''): void {
  const stack: [unknown, string, number][] = [[value, root, 0]];
  while (stack.length) {
    const [item, path, depth] = stack.pop()!;
    const field = path || 'body';
    if (typeof item === 'string') {
      if (item.includes('\u0000'))
        throw invalid([{ field, errors: [`${field} must not contain NUL characters`] }]);
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH)
      throw invalid([{ field, errors: [`${field} is nested deeper than ${MAX_INPUT_DEPTH} levels`] }]);
    for (const [key, child] of Object.entries(item)) {
      if (key.includes('\u0000'))
        throw invalid([{ field, errors: [`${field} has a key with a NUL character`] }]);
      // __proto__, constructor, toString, ...: no field has such a name, and whitelists that look a key up on an
      // object (`key in rules`, a DTO instance) would find the inherited one and let it through.
      if (key in Object.prototype)
        throw invalid([{ field, errors: [`${field} has a reserved key: ${key}`] }]);
      stack.push([child, Array.isArray(item) ? `${path}[${key}]` : path ? `${path}.${key}` : key, depth + 1]);
    }
  }
}

/** Whitelist + reject unknown fields + transform, with the project's error shape (REST). */
class AppValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Bodies were checked when parsed (jsonBody); these come from the URL. (Socket payloads: socket-payloads.ts.)
    if (metadata.type === 'query' || metadata.type === 'param') checkInput(value, metadata.data ?? '');
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: validationError,
  });
}
