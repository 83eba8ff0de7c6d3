import { ClassConstructor } from 'class-transformer';
import { AppError, ErrorCode, toErrorBody } from './app-error';
import { checkInput, createValidationPipe } from './validation';

export type Ack<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: ErrorCode; message: string; details?: unknown; retryAfter?: number } };

const pipe = createValidationPipe();

/** Validates a socket payload with the same pipe and DTOs as REST bodies. */
export async function parsePayload<T extends object>(cls: ClassConstructor<T>, payload: unknown): Promise<T> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new AppError('VALIDATION_FAILED', 'Payload must be a JSON object');
  }
  checkInput(payload);
  return (await pipe.transform(payload, { type: 'body', metatype: cls })) as T;
}

/** Runs a handler and turns its result or error into an acknowledgement; nothing escapes to the socket. */
export async function toAck<T>(
  handler: () => Promise<T>,
  onInternal: (err: unknown) => void,
): Promise<Ack<T>> {
  try {
    return { ok: true, data: await handler() };
  } catch (err) {
    const { body, internal } = toErrorBody(err);
    if (internal) onInternal(err);
    const error: Extract<Ack<T>, { ok: false }>['error'] = { code: body.code, message: body.message };
    if (body.details !== undefined) error.details = body.details;
    if (body.retryAfter !== undefined) error.retryAfter = body.retryAfter;
    return { ok: false, error };
  }
}
