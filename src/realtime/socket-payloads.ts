import { AppError } from '../common/app-error';
import { canonicalId } from '../common/ids';
import { FieldError } from '../common/validation';
import { CLIENT_MSG_ID, isMessageText, MAX_SEQ, MAX_TEXT_CHARS } from '../messages/dto/message.dto';
import { MarkReadPayload, SendMessagePayload, TypingPayload } from './socket-events';

/**
 * The client events' payloads, checked by hand: the same rules and constants as the REST DTOs, the same error
 * shape (VALIDATION_FAILED naming each field), but no class instances, decorators or reflection on a path that
 * runs for every message (class-validator and class-transformer showed in the send path's profile).
 */
type Rules<T> = { [K in keyof T]: (value: unknown, errors: FieldError[]) => T[K] | undefined };

function parse<T>(payload: unknown, rules: Rules<T>): T {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    throw new AppError('VALIDATION_FAILED', 'Payload must be a JSON object');
  const input = payload as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(input))
    if (!Object.hasOwn(rules, key)) errors.push({ field: key, errors: [`property ${key} should not exist`] });
  const out = {} as T;
  for (const key of Object.keys(rules) as (keyof T)[]) out[key] = rules[key](input[key as string], errors)!;
  if (errors.length)
    throw new AppError('VALIDATION_FAILED', errors.map((e) => e.errors.join(', ')).join('; '), errors);
  return out;
}

const fail = <T>(errors: FieldError[], field: string, message: string): T | undefined => {
  errors.push({ field, errors: [message] });
  return undefined;
};

const chatId = (value: unknown, errors: FieldError[]) =>
  canonicalId(value) ?? fail<string>(errors, 'chatId', 'chatId must be a UUID');

export function parseSendMessage(payload: unknown): SendMessagePayload {
  return parse<SendMessagePayload>(payload, {
    chatId,
    text: (value, errors) => {
      const text = typeof value === 'string' ? value.trim() : value;
      if (typeof text === 'string' && text.includes('\u0000'))
        return fail(errors, 'text', 'text must not contain NUL characters');
      return isMessageText(text)
        ? text
        : fail(errors, 'text', `text must be a string of 1 to ${MAX_TEXT_CHARS} characters after trimming`);
    },
    clientMsgId: (value, errors) =>
      typeof value === 'string' && CLIENT_MSG_ID.test(value)
        ? value
        : fail(errors, 'clientMsgId', 'clientMsgId must be 1-64 characters of [A-Za-z0-9_-]'),
  });
}

export function parseMarkRead(payload: unknown): MarkReadPayload {
  return parse<MarkReadPayload>(payload, {
    chatId,
    seq: (value, errors) =>
      Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_SEQ
        ? (value as number)
        : fail(errors, 'seq', `seq must be an integer from 0 to ${MAX_SEQ}`),
  });
}

export function parseTyping(payload: unknown): TypingPayload {
  return parse<TypingPayload>(payload, {
    chatId,
    isTyping: (value, errors) =>
      typeof value === 'boolean' ? value : fail(errors, 'isTyping', 'isTyping must be a boolean value'),
  });
}
