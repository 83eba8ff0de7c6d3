import type { ErrorCode } from '../common/app-error';
import type { Ack } from '../common/socket-ack';
import type { ChatDto, ChatMemberDto } from '../inbox/dto/chat.dto';
import { CLIENT_MSG_ID, MAX_SEQ, MAX_TEXT_CHARS } from '../messages/dto/message.dto';
import type { MessageDto, ReceiptDto } from '../messages/dto/message.dto';
import type { SystemEvent } from '../messages/message.entity';
import type { ClientToServerEvents, ServerToClientEvents } from './socket-events';
import { TYPING_INTERVAL_MS } from './typing-throttle';

/**
 * The AsyncAPI 2.6 document of the Socket.IO surface (served at GET /docs/asyncapi, checked in as
 * docs/asyncapi.json by `npm run docs:asyncapi`). It is typed against socket-events.ts both ways: every event
 * of ClientToServerEvents / ServerToClientEvents must have an entry here, and every payload schema must name
 * exactly the properties of the payload's TypeScript type, optional ones marked optional — an event or a field
 * added without documentation does not compile.
 */

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

export interface JsonSchema {
  $ref?: string;
  type?: JsonType | JsonType[];
  description?: string;
  format?: string;
  enum?: readonly (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  oneOf?: JsonSchema[];
  examples?: unknown[];
}

/** A schema documenting the TypeScript type T (a brand only the type checker sees; nothing of it is emitted). */
export type Schema<T> = JsonSchema & { readonly __documents?: T };

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** Each property of T, its optional ones with `optional: true` and its required ones without. */
type PropertyDocs<T> = {
  [K in keyof T]-?: K extends OptionalKeys<T>
    ? JsonSchema & { optional: true }
    : JsonSchema & { optional?: never };
};

/** A closed object schema with exactly T's properties. */
function object<T>(description: string | undefined, properties: PropertyDocs<T>): Schema<T> {
  const props: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const entries: [string, JsonSchema & { optional?: true }][] = Object.entries(properties);
  for (const [key, { optional, ...schema }] of entries) {
    props[key] = schema;
    if (!optional) required.push(key);
  }
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties: props,
    required,
    additionalProperties: false,
  };
}

/** The shared payload objects, by component name. */
interface Components {
  Message: MessageDto;
  SystemEvent: SystemEvent;
  Chat: ChatDto;
  ChatMember: ChatMemberDto;
  Receipt: ReceiptDto;
}

const ref = <K extends keyof Components>(name: K): Schema<Components[K]> => ({
  $ref: `#/components/schemas/${name}`,
});

const uuid = (description?: string): JsonSchema => ({
  type: 'string',
  format: 'uuid',
  ...(description ? { description } : {}),
});
const dateTime = (description: string, nullable = false): JsonSchema => ({
  type: nullable ? ['string', 'null'] : 'string',
  format: 'date-time',
  description,
});
const seq = (description: string): JsonSchema => ({
  type: 'integer',
  minimum: 0,
  maximum: MAX_SEQ,
  description,
});

const schemas: { [K in keyof Components]: Schema<Components[K]> } = {
  Message: object<MessageDto>(
    'A message as REST returns it (GET /api/history/{chatId}); Swagger: MessageDto.',
    {
      id: uuid('Stable: clients de-duplicate live deliveries by it'),
      chatId: uuid(),
      seq: {
        type: 'integer',
        minimum: 1,
        description: 'Per chat: 1, 2, 3, ... in commit order, without gaps',
      },
      senderId: uuid('The sender; for a service message, who did what it tells'),
      clientMsgId: {
        type: 'string',
        description: "The sender's idempotency key (service messages: system-<id>)",
      },
      type: {
        type: 'string',
        enum: ['text', 'system'],
        description: 'system: a service message ("Alice added Carol"); see `system`',
      },
      text: {
        type: ['string', 'null'],
        maxLength: MAX_TEXT_CHARS,
        description: 'null once deleted, and for service messages',
      },
      system: {
        oneOf: [ref('SystemEvent'), { type: 'null' }],
        description: 'What a service message tells; null for text messages',
      },
      createdAt: dateTime('When it was stored (server clock)'),
      editedAt: dateTime('Last edit, or null', true),
      deletedAt: dateTime('Deletion, or null (the message keeps its id and seq)', true),
      read: {
        type: 'boolean',
        description: 'Every member other than the sender has read it (seq <= readAllSeq)',
      },
    },
  ),
  SystemEvent: object<SystemEvent>(
    'What a service message tells; the client words it with the names it knows.',
    {
      event: {
        type: 'string',
        enum: ['group_created', 'members_added', 'member_removed', 'member_left', 'group_renamed'],
      },
      actorId: uuid('Who did it'),
      userIds: { type: 'array', items: uuid(), optional: true, description: 'Who was added or removed' },
      name: {
        type: 'string',
        optional: true,
        description: 'The name (group_created) or the new name (group_renamed)',
      },
    },
  ),
  Chat: object<ChatDto>(
    'A chat as its receiver sees it (title, unreadCount and muted are per user); Swagger: ChatDto.',
    {
      id: uuid(),
      type: { type: 'string', enum: ['direct', 'group', 'saved'] },
      title: { type: 'string', description: 'The other user (direct), the group name, or "Saved messages"' },
      members: {
        type: 'array',
        items: ref('ChatMember'),
        maxItems: 100,
        optional: true,
        description:
          'Every member when the chat has at most 100; absent for bigger groups (GET /api/groups/{id}/members)',
      },
      memberCount: { type: 'integer', minimum: 0 },
      lastSeq: seq('The newest message’s seq (0: no messages yet)'),
      lastMessage: { oneOf: [ref('Message'), { type: 'null' }] },
      unreadCount: {
        type: 'integer',
        minimum: 0,
        description: "The receiver's unread messages from others (deleted and service messages excluded)",
      },
      readAllSeq: seq('The lowest read mark over all members'),
      muted: { type: 'boolean', description: 'The receiver muted this chat' },
      groupId: { type: ['string', 'null'], format: 'uuid', description: 'The group, for type "group"' },
      updatedAt: dateTime('Last activity'),
    },
  ),
  ChatMember: object<ChatMemberDto>(undefined, {
    userId: uuid(),
    role: { type: 'string', enum: ['owner', 'admin', 'member'] },
  }),
  Receipt: object<ReceiptDto>(
    "A member's read mark; messages with seq <= readAllSeq are read by everyone but their sender.",
    {
      chatId: uuid(),
      userId: uuid('Whose mark moved'),
      lastReadSeq: seq('That member has read everything up to this seq'),
      readAllSeq: seq('The lowest read mark over all members'),
    },
  ),
};

type PayloadOf<F> = F extends (payload: infer P, ...rest: any[]) => void ? P : never;
type AckReplyOf<F> = F extends (payload: any, ack: infer A) => void
  ? NonNullable<A> extends (reply: infer R) => void
    ? R
    : never
  : never;
type AckDataOf<F> = Extract<AckReplyOf<F>, { ok: true }>['data'];
type AckFailure = Extract<Ack<unknown>, { ok: false }>['error'];

interface EventDoc<P> {
  summary: string;
  description: string;
  payload: Schema<P>;
}
interface ClientEventDoc<P, D> extends EventDoc<P> {
  ack: {
    description: string;
    data: Schema<D>;
    /** The codes a failed acknowledgement of this event may carry (besides UNAVAILABLE and INTERNAL). */
    errors: ErrorCode[];
  };
}

const chatIdField = uuid('The chat (any case; compared in lower case)');

const clientEvents: {
  [E in keyof ClientToServerEvents]: ClientEventDoc<
    PayloadOf<ClientToServerEvents[E]>,
    AckDataOf<ClientToServerEvents[E]>
  >;
} = {
  'message:send': {
    summary: 'Send a message',
    description:
      'Stores a message, exactly like POST /api/chats/{chatId}/messages: the same (sender, clientMsgId) again, ' +
      'on any instance and over either transport, acknowledges the stored message without storing or delivering ' +
      'it again; the same clientMsgId with another text (while the message is unedited) or chat fails with ' +
      'CLIENT_MSG_ID_CONFLICT. The other ' +
      "members' sockets and the sender's other sockets get message:new; the sending socket gets the ack instead.",
    payload: object<PayloadOf<ClientToServerEvents['message:send']>>(undefined, {
      chatId: chatIdField,
      text: {
        type: 'string',
        minLength: 1,
        description: `1 to ${MAX_TEXT_CHARS} characters after trimming (stored trimmed); no NUL characters`,
      },
      clientMsgId: {
        type: 'string',
        pattern: CLIENT_MSG_ID.source,
        description: 'Chosen by the client (a UUID fits); resending it never creates a second message',
      },
    }),
    ack: {
      description: 'The stored message (the same one for a replay)',
      data: ref('Message'),
      errors: [
        'VALIDATION_FAILED',
        'CHAT_NOT_FOUND',
        'NOT_A_MEMBER',
        'CLIENT_MSG_ID_CONFLICT',
        'RATE_LIMITED',
      ],
    },
  },
  'message:read': {
    summary: 'Mark a chat read up to a seq',
    description:
      'Moves the caller’s read mark forward to seq (never back, never past the newest message), like ' +
      'POST /api/chats/{chatId}/read. When it moved, every member (the caller’s other sockets included) gets receipt.',
    payload: object<PayloadOf<ClientToServerEvents['message:read']>>(undefined, {
      chatId: chatIdField,
      seq: seq('Everything up to and including this seq has been read'),
    }),
    ack: {
      description: 'The read state after the call (also when the mark did not move)',
      data: ref('Receipt'),
      errors: ['VALIDATION_FAILED', 'CHAT_NOT_FOUND', 'NOT_A_MEMBER'],
    },
  },
  typing: {
    summary: 'Say that the user is (or stopped) typing in a chat',
    description:
      `Relayed to the other members as typing (not to the sender's own sockets), at most once per ` +
      `${TYPING_INTERVAL_MS} ms per socket and chat for isTyping=true; isTyping=false only after a relayed true. ` +
      'The acknowledgement is optional.',
    payload: object<PayloadOf<ClientToServerEvents['typing']>>(undefined, {
      chatId: chatIdField,
      isTyping: { type: 'boolean' },
    }),
    ack: {
      description: 'Whether this notice was relayed (false: throttled, or nothing to clear)',
      data: object<AckDataOf<ClientToServerEvents['typing']>>(undefined, { relayed: { type: 'boolean' } }),
      errors: ['VALIDATION_FAILED', 'CHAT_NOT_FOUND', 'NOT_A_MEMBER'],
    },
  },
};

type ServerPayload<E extends keyof ServerToClientEvents> = PayloadOf<ServerToClientEvents[E]>;

const serverEvents: { [E in keyof ServerToClientEvents]: EventDoc<ServerPayload<E>> } = {
  'message:new': {
    summary: 'A message was stored in one of the user’s chats',
    description:
      'To every member’s sockets on every instance, the sender’s other sockets included (not the socket whose ' +
      'message:send stored it: that one has the ack). Service messages ("Alice added Carol") come this way too. ' +
      'At least once: after an instance or Redis failure a message may arrive twice, so de-duplicate by id; ' +
      'per chat, seq has no gaps, so a client that sees a jump fetches GET /api/history/{chatId}?afterSeq=N.',
    payload: ref('Message'),
  },
  'message:updated': {
    summary: 'A message was edited',
    description: 'To every member, after PATCH /api/messages/{id}.',
    payload: ref('Message'),
  },
  'message:deleted': {
    summary: 'A message was deleted',
    description:
      'To every member, after DELETE /api/messages/{id}; the message keeps its id and seq, its text is gone.',
    payload: object<ServerPayload<'message:deleted'>>(undefined, {
      id: uuid(),
      chatId: uuid(),
      seq: seq('Its seq'),
    }),
  },
  receipt: {
    summary: "A member's read mark moved",
    description:
      'To every member of the chat (the reader’s own sockets included). A sender’s message with seq <= readAllSeq ' +
      'has been read by the other member (direct) or by all members (group).',
    payload: ref('Receipt'),
  },
  typing: {
    summary: 'Another member is (or stopped) typing',
    description: 'To the other members of the chat; throttled by the server (see the client event typing).',
    payload: object<ServerPayload<'typing'>>(undefined, {
      chatId: uuid(),
      userId: uuid('Who is typing'),
      isTyping: { type: 'boolean' },
    }),
  },
  presence: {
    summary: 'A user came online or went offline',
    description:
      'To the users who share a chat with that user. Online: at least one connected socket on any instance; ' +
      'offline is said about 2 s after the last socket closed, if none opened meanwhile (a reload is no ' +
      'flicker); a user whose instance died without a word goes offline once its heartbeat is stale.',
    payload: object<ServerPayload<'presence'>>(undefined, {
      userId: uuid(),
      online: { type: 'boolean' },
      lastSeenAt: dateTime('When they last went offline; null if never', true),
    }),
  },
  'chat:new': {
    summary: 'The user is now a member of a chat',
    description:
      'A direct chat opened by either member, a group created with the user in it, or the user added to a group. ' +
      'The chat as this user sees it.',
    payload: ref('Chat'),
  },
  'chat:updated': {
    summary: 'A chat the user is in changed',
    description:
      'A group renamed, members added or removed, a role changed (to every member), or the user muted or ' +
      'unmuted it on another device (to that user).',
    payload: ref('Chat'),
  },
  'chat:removed': {
    summary: 'The user is no longer a member of a chat',
    description:
      'Removed from a group, or left it. From then on the user gets none of its events and cannot read its history.',
    payload: object<ServerPayload<'chat:removed'>>(undefined, { chatId: uuid() }),
  },
  'telegram:linked': {
    summary: 'The user linked a Telegram account',
    description: 'Sent by the worker when the bot receives /start with the user’s link token.',
    payload: object<ServerPayload<'telegram:linked'>>(undefined, {
      telegramUsername: {
        type: ['string', 'null'],
        description: 'null when the Telegram account has no username',
      },
    }),
  },
  'session:ended': {
    summary: 'This socket’s session ended; the server closes the socket next',
    description:
      'logout: the session logged out (POST /api/auth/logout, or DELETE /api/auth/sessions/{id} of itself); ' +
      'revoked: deleted from another session, or its refresh token was reused; expired: the handshake’s access ' +
      'token expired (refresh, then reconnect with the new token). The server then disconnects the socket ' +
      '("io server disconnect"), which Socket.IO does not retry by itself.',
    payload: object<ServerPayload<'session:ended'>>(undefined, {
      reason: { type: 'string', enum: ['logout', 'revoked', 'expired'] },
    }),
  },
  'server:shutdown': {
    summary: 'This instance is shutting down',
    description:
      'Sent to every socket of an instance that is draining, shortly before it closes the connections: reconnect ' +
      '(to another instance) after reconnectAfterMs; nothing sent before was lost. The session stays valid.',
    payload: object<ServerPayload<'server:shutdown'>>(undefined, {
      reconnectAfterMs: { type: 'integer', minimum: 0 },
    }),
  },
};

const ackFailure = (codes: ErrorCode[]): Schema<{ ok: false; error: AckFailure }> =>
  object<{ ok: false; error: AckFailure }>(
    'The event failed; nothing was changed (or, for an outage, retry)',
    {
      ok: { const: false },
      error: object<AckFailure>(undefined, {
        code: { type: 'string', enum: [...codes, 'UNAVAILABLE', 'INTERNAL'] },
        message: { type: 'string', description: 'For people, not for programs' },
        details: {
          optional: true,
          description: 'VALIDATION_FAILED: [{ field, errors }] naming each bad field',
        },
        retryAfter: {
          type: 'integer',
          minimum: 1,
          optional: true,
          description: 'RATE_LIMITED and UNAVAILABLE: seconds to wait before retrying',
        },
      }),
    },
  );

const camel = (event: string) =>
  event
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');

/** Builds the document; the same object for every call (served as JSON, written to docs/asyncapi.json). */
export function buildAsyncApi() {
  const channels: Record<string, { publish?: object; subscribe?: object }> = {};
  for (const [event, doc] of Object.entries(clientEvents) as [string, ClientEventDoc<unknown, unknown>][]) {
    channels[event] = {
      ...channels[event],
      publish: {
        operationId: `receive${camel(event)}`,
        summary: doc.summary,
        description: doc.description,
        message: {
          name: event,
          title: event,
          payload: doc.payload,
          'x-ack': {
            description: `${doc.ack.description}. Sent as the acknowledgement callback's argument.`,
            payload: {
              oneOf: [
                object<{ ok: true; data: unknown }>('The event succeeded', {
                  ok: { const: true },
                  data: doc.ack.data,
                }),
                ackFailure(doc.ack.errors),
              ],
            },
          },
        },
      },
    };
  }
  for (const [event, doc] of Object.entries(serverEvents) as [string, EventDoc<unknown>][]) {
    channels[event] = {
      ...channels[event],
      subscribe: {
        operationId: `send${camel(event)}`,
        summary: doc.summary,
        description: doc.description,
        message: { name: event, title: event, payload: doc.payload },
      },
    };
  }
  return {
    asyncapi: '2.6.0',
    id: 'urn:messenger:socket.io',
    info: {
      title: 'Messenger real-time API (Socket.IO)',
      version: '1.0',
      description: [
        'Socket.IO 4 on the API’s origin, path /socket.io, default namespace. Each channel is a Socket.IO event ' +
          'name: `publish` = the client emits it (with an acknowledgement callback, described by `x-ack`), ' +
          '`subscribe` = the server emits it.',
        'Connect with the access token in the handshake: `io(origin, { path: "/socket.io", auth: { token } })`, or ' +
          '`auth: (cb) => cb({ token: currentToken })` so every reconnection reads the newest token. A refused ' +
          'handshake is a connect_error whose `data.code` is UNAUTHORIZED (missing, bad, expired or revoked token: ' +
          'refresh, then reconnect) or UNAVAILABLE (retry after `data.retryAfter` seconds and keep the session: Redis, where ' +
          'sessions are checked, is away, or the instance is draining).',
        'Every socket of a user receives the events of all the user’s chats; there is no join step. A malformed ' +
          'event gets a failed acknowledgement (VALIDATION_FAILED) and never disconnects the socket; a frame larger ' +
          'than BODY_LIMIT_BYTES closes that connection. REST, errors and the delivery guarantees: docs/api.md in the ' +
          'repository; REST operations: /docs (Swagger UI) and /docs-json.',
      ].join('\n\n'),
      license: { name: 'MIT' },
    },
    servers: {
      api: {
        url: '{host}',
        protocol: 'ws',
        description:
          'The API process (any instance: events reach a user’s sockets on every instance); Socket.IO path ' +
          '/socket.io. Use wss behind TLS.',
        variables: { host: { default: 'localhost:3000', description: 'host:port of the API (or of Nginx)' } },
        security: [{ accessToken: [] }],
      },
    },
    defaultContentType: 'application/json',
    channels,
    components: {
      schemas,
      securitySchemes: {
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The REST access token (POST /api/auth/login), sent in the Socket.IO handshake as auth.token — not as ' +
            'an HTTP header. The socket is closed (session:ended { reason: "expired" }) when the token expires.',
        },
      },
    },
  };
}
