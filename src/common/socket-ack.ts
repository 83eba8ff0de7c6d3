import { ErrorCode, toErrorBody } from './app-error';

export type Ack<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: ErrorCode; message: string; details?: unknown; retryAfter?: number } };

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
    // Sockets name an outage UNAVAILABLE (the contract's name for it); REST says SERVICE_UNAVAILABLE.
    const code = body.statusCode === 503 && body.code === 'SERVICE_UNAVAILABLE' ? 'UNAVAILABLE' : body.code;
    const error: Extract<Ack<T>, { ok: false }>['error'] = { code, message: body.message };
    if (body.details !== undefined) error.details = body.details;
    if (body.retryAfter !== undefined) error.retryAfter = body.retryAfter;
    return { ok: false, error };
  }
}
