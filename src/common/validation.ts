import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError } from './app-error';

export interface FieldError {
  field: string;
  errors: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

export function validationError(errors: ValidationError[]): AppError {
  const details = flatten(errors);
  const message = details.map((d) => d.errors.join(', ')).join('; ') || 'Validation failed';
  return new AppError('VALIDATION_FAILED', message, details);
}

/** Whitelist + reject unknown fields + transform, with the project's error shape. Used by REST and sockets. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: validationError,
  });
}
