import { applyDecorators } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ApiBearerAuth, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'http';
import { ERROR_STATUS, ErrorBody, ErrorCode } from './app-error';
import { ErrorResponseDto } from './error-response.dto';
import { IdPipe } from './ids';
import { UNAVAILABLE_RETRY_AFTER_SEC } from './unavailable';

/** Ids and times the examples share, so that one example's chat is another's chatId. */
export const EXAMPLE = {
  aliceId: '7f1e2d3c-4b5a-4c6d-8e9f-0a1b2c3d4e5f',
  bobId: 'c2a8e4f1-7d3b-4e5a-9c6f-1b2d3e4f5a6b',
  carolId: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
  chatId: '3d6f0a8e-1c2b-4f5e-8a9d-7b6c5e4d3f2a',
  groupId: '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  messageId: 'e4d3c2b1-a0f9-4e8d-9c7b-6a5f4e3d2c1b',
  sessionId: '0f9c1c9e-5f3a-4b8e-9d2e-8a7b6c5d4e3f',
  requestId: '5f0c2b7e-8d1a-4c3e-9b6f-2a4d8e1c7b90',
  createdAt: '2026-05-04T09:30:00.000Z',
  later: '2026-05-04T09:41:27.512Z',
  accessToken:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3ZjFlMmQzYy00YjVhLTRjNmQtOGU5Zi0wYTFiMmMzZDRlNWYiLCJzaWQiOiIwZjljMWM5ZS01ZjNhLTRiOGUtOWQyZS04YTdiNmM1ZDRlM2YiLCJpYXQiOjE3Nzc4ODcwMDAsImV4cCI6MTc3Nzg4NzkwMH0.yMCGSZhU5aQnyHJx0KqHJkXvA65UZappbi-kQYH_NkM',
  refreshToken: '0f9c1c9e-5f3a-4b8e-9d2e-8a7b6c5d4e3f.p8IJsUWd6V8b-iUVY9c24w-nVtkGwovOTZo48hjcVZI',
} as const;

/**
 * An error an operation can answer with: its code, when it happens, and its body's message and details (an
 * own message comes with its own details, or none). `retryAfter`: null where this case sends none.
 */
export interface ErrorDoc {
  code: ErrorCode;
  when?: string;
  message?: string;
  details?: unknown;
  retryAfter?: number | null;
}

/**
 * What each code means and the message the code base sends with it (the example bodies show these). An
 * operation may say more about its own case (ErrorDoc). Every code has an entry, so a new code cannot be
 * documented without one.
 */
const ERRORS: Record<ErrorCode, { when: string; message: string; details?: unknown }> = {
  VALIDATION_FAILED: {
    when: 'a field is missing, malformed or not allowed; `details` names each offending field',
    message: 'property nickname should not exist',
    details: [{ field: 'nickname', errors: ['property nickname should not exist'] }],
  },
  MALFORMED_JSON: { when: 'the body is not valid JSON', message: 'Request body is not valid JSON' },
  BAD_REQUEST: { when: 'the request cannot be carried out as asked', message: 'Unreadable request body' },
  UNAUTHORIZED: {
    when: 'the access token is missing, invalid or expired, or its session has ended (logout, session deleted, refresh-token reuse)',
    message: 'Missing, invalid, expired or revoked access token',
  },
  INVALID_CREDENTIALS: {
    when: 'wrong login or password: the same answer whether the user exists or not',
    message: 'Invalid login or password',
  },
  REFRESH_TOKEN_INVALID: {
    when: 'the refresh token is unknown, expired or already spent; a spent one also ends its session',
    message: 'Refresh token is invalid, expired or already used',
  },
  FORBIDDEN: { when: 'not allowed for the caller', message: 'Only the owner or an admin can do this' },
  NOT_A_MEMBER: {
    when: 'the caller is not a member of the chat',
    message: 'You are not a member of this chat',
  },
  GROUP_INVITE_FORBIDDEN: {
    when: 'some users accept group invitations only from contacts (people they share a direct chat with); `details.userIds` names them',
    message: 'Carol only accepts group invitations from contacts',
    details: { userIds: [EXAMPLE.carolId] },
  },
  NOT_FOUND: { when: 'no such resource', message: 'Not found' },
  USER_NOT_FOUND: { when: 'no such user', message: 'User not found' },
  CHAT_NOT_FOUND: { when: 'no such chat', message: 'Chat not found' },
  GROUP_NOT_FOUND: { when: 'no such group', message: 'Group not found' },
  MESSAGE_NOT_FOUND: { when: 'no such message', message: 'Message not found' },
  SESSION_NOT_FOUND: {
    when: 'no such session of the caller (or it has ended already)',
    message: 'Session not found',
  },
  CONFLICT: { when: 'the request conflicts with the current state', message: 'Conflict' },
  EMAIL_TAKEN: {
    when: 'the email is already registered (case-insensitive)',
    message: 'Email is already registered',
  },
  USERNAME_TAKEN: {
    when: 'the username is already taken (case-insensitive)',
    message: 'Username is already taken',
  },
  CLIENT_MSG_ID_CONFLICT: {
    when: 'the caller already used this clientMsgId for another text or in another chat',
    message: 'This clientMsgId was already used for a different message',
  },
  MESSAGE_DELETED: { when: 'the message was deleted', message: 'The message was deleted' },
  GROUP_FULL: {
    when: 'the group would have more than GROUP_MAX_MEMBERS members; `details.max` says how many',
    message: 'A group has at most 1000 members (it has 1000)',
    details: { max: 1000 },
  },
  PAYLOAD_TOO_LARGE: {
    when: 'the body is larger than BODY_LIMIT_BYTES',
    message: 'Request body is larger than 65536 bytes',
  },
  RATE_LIMITED: {
    when: 'too many requests: wait `Retry-After` seconds',
    message: 'Too many attempts, try again later',
  },
  INTERNAL: { when: 'a bug on the server', message: 'Internal server error' },
  SERVICE_UNAVAILABLE: {
    when: 'PostgreSQL or Redis is unreachable or too slow, or this instance is shutting down: retry after `Retry-After` seconds; the session stays valid',
    message: 'The service is temporarily unavailable; retry shortly',
  },
  UNAVAILABLE: {
    when: "Socket.IO's name for SERVICE_UNAVAILABLE",
    message: 'The service is temporarily unavailable; retry shortly',
  },
  TELEGRAM_UNAVAILABLE: {
    when: 'no Telegram bot is configured (TELEGRAM_BOT_TOKEN unset; no Retry-After), or the bot cannot be reached right now (Retry-After)',
    message: 'Telegram notifications are not configured',
  },
};

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before retrying (the body says it again as `retryAfter`)',
    schema: { type: 'integer', example: UNAVAILABLE_RETRY_AFTER_SEC },
  },
};
const REQUEST_ID = {
  'X-Request-Id': {
    description: "This request's id (the body's `requestId`)",
    schema: { type: 'string', example: EXAMPLE.requestId },
  },
};
const RETRY_AFTER_SEC: Partial<Record<ErrorCode, number>> = {
  RATE_LIMITED: 42,
  SERVICE_UNAVAILABLE: UNAVAILABLE_RETRY_AFTER_SEC,
};

export interface EndpointDocs {
  summary: string;
  /** What a client developer needs beyond the summary; Markdown. */
  description?: string;
  /**
   * The errors of this operation's own rules. Implied, and added here: 401 unless `public`, 503 unless
   * `outages: false`, and 400 (validation; for a body also malformed JSON, and 413) when the handler takes a
   * body, query or route parameters.
   */
  errors?: (ErrorCode | ErrorDoc)[];
  /** The route is @Public(): no bearer token, no 401. */
  public?: boolean;
  /** False for a route that touches neither PostgreSQL nor Redis and stays open while draining (liveness). */
  outages?: boolean;
}

/**
 * One operation's Swagger: summary, description, bearer auth, and one response per error status with the
 * shared error body and an example per code. The success responses stay with the handler (ApiOkResponse...).
 */
export function ApiEndpoint(docs: EndpointDocs): MethodDecorator {
  return (target, key, descriptor) => {
    const inputs = routeInputs(target, key);
    const implied: (ErrorCode | ErrorDoc)[] = [];
    const id = inputs.ids[0];
    if (id) {
      implied.push({
        code: 'VALIDATION_FAILED',
        message: `${id} must be a UUID`,
        details: [{ field: id, errors: [`${id} must be a UUID`] }],
      });
    } else if (inputs.body || inputs.query || inputs.params) implied.push('VALIDATION_FAILED');
    if (inputs.body) implied.push('MALFORMED_JSON', 'PAYLOAD_TOO_LARGE');
    if (!docs.public) implied.push('UNAUTHORIZED');
    if (docs.outages !== false) implied.push('SERVICE_UNAVAILABLE');

    // The operation's own word on a code replaces the implied one.
    const byCode = new Map<ErrorCode, ErrorDoc>();
    for (const e of [...implied, ...(docs.errors ?? [])]) {
      const doc = typeof e === 'string' ? { code: e } : e;
      byCode.set(doc.code, doc);
    }
    const byStatus = new Map<number, ErrorDoc[]>();
    for (const doc of byCode.values()) {
      const status = ERROR_STATUS[doc.code];
      byStatus.set(status, [...(byStatus.get(status) ?? []), doc]);
    }

    applyDecorators(
      ApiOperation({ summary: docs.summary, description: docs.description }),
      ...(docs.public ? [] : [ApiBearerAuth()]),
      ...[...byStatus].sort(([a], [b]) => a - b).map(([status, errors]) => errorResponse(status, errors)),
    )(target, key, descriptor);
  };
}

function errorResponse(status: number, errors: ErrorDoc[]): MethodDecorator {
  const examples = Object.fromEntries(
    errors.map((e) => {
      const known = ERRORS[e.code];
      const body: ErrorBody = {
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Error',
        message: e.message ?? known.message,
        code: e.code,
      };
      const details = e.details ?? (e.message === undefined ? known.details : undefined);
      if (details !== undefined) body.details = details;
      const retryAfter = e.retryAfter === undefined ? RETRY_AFTER_SEC[e.code] : e.retryAfter;
      if (retryAfter !== undefined && retryAfter !== null) body.retryAfter = retryAfter;
      body.requestId = EXAMPLE.requestId;
      return [e.code, { summary: e.code, value: body }];
    }),
  );
  const lines = errors.map((e) => `- \`${e.code}\`: ${e.when ?? ERRORS[e.code].when}`);
  return ApiResponse({
    status,
    type: ErrorResponseDto,
    description: [STATUS_CODES[status], ...lines].join('\n'),
    headers: status === 429 || status === 503 ? { ...RETRY_AFTER, ...REQUEST_ID } : REQUEST_ID,
    examples,
  });
}

/**
 * What the handler takes from the request, read from the metadata Nest's own @Body/@Query/@Param leave
 * (parameter decorators run before method decorators), so the 400s follow the code. `ids`: the route
 * parameters parsed by IdParam, whose 400 is known word for word.
 */
function routeInputs(
  target: object,
  key: string | symbol,
): { body: boolean; query: boolean; params: boolean; ids: string[] } {
  const args: Record<string, { data?: unknown; pipes?: unknown[] }> =
    Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) ?? {};
  const inputs = { body: false, query: false, params: false, ids: [] as string[] };
  for (const [name, arg] of Object.entries(args)) {
    const type = Number(name.split(':')[0]) as RouteParamtypes;
    if (type === RouteParamtypes.BODY) inputs.body = true;
    if (type === RouteParamtypes.QUERY) inputs.query = true;
    if (type === RouteParamtypes.PARAM) {
      inputs.params = true;
      if (typeof arg.data === 'string' && arg.pipes?.some((p) => p instanceof IdPipe))
        inputs.ids.push(arg.data);
    }
  }
  return inputs;
}
