// The client's state: chats, users, loaded conversations, the outbox.
import { api } from './api.js';

export const OUTBOX_KEY = 'messenger.outbox';

export const state = {
  me: null,
  chats: new Map(), // chatId -> Chat
  users: new Map(), // userId -> User
  openChatId: null,
  conversations: new Map(), // chatId -> { bySeq: Map, hasOlder, loaded }
  pending: new Map(), // clientMsgId -> { chatId, text, clientMsgId, failed? }
  typing: new Map(), // chatId -> Map(userId -> timer)
  markedRead: new Map(), // chatId -> highest seq we marked
  socket: null,
};

export const outbox = {
  load() {
    try {
      for (const p of JSON.parse(localStorage.getItem(OUTBOX_KEY)) ?? []) state.pending.set(p.clientMsgId, p);
    } catch {
      /* nothing saved */
    }
  },
  save() {
    localStorage.setItem(OUTBOX_KEY, JSON.stringify([...state.pending.values()].filter((p) => !p.failed)));
  },
};

export const conversation = (chatId) => {
  if (!state.conversations.has(chatId))
    state.conversations.set(chatId, { bySeq: new Map(), hasOlder: true, loaded: false });
  return state.conversations.get(chatId);
};

export async function user(userId) {
  if (!state.users.has(userId)) state.users.set(userId, await api('GET', `/users/${userId}`));
  return state.users.get(userId);
}
export const nameOf = (userId) => state.users.get(userId)?.displayName ?? '…';

export const sortedChats = () =>
  [...state.chats.values()].sort(
    (a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id),
  );
export const otherMember = (chat) => chat.members.find((m) => m.userId !== state.me.id)?.userId;
