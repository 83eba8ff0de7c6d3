// The client's state: the signed-in user, chats, users, loaded conversations, the outbox and drafts.
// Views read it and re-render through render.js; sync.js changes it.
import { api } from './api.js';
import { invalidate } from './render.js';

export const state = {
  me: null,
  chats: new Map(), // chatId -> Chat (as GET /chats returns it)
  users: new Map(), // userId -> User; `online` is null while it is unknown (disconnected)
  conversations: new Map(), // chatId -> Conversation (see conversation())
  openChatId: null,
  /** Shown in the pane instead of a chat, e.g. after being removed from the open group. */
  notice: null,
  /** A passing word about a chat that is not open, e.g. { reason: 'removed', title } (see renderToast). */
  toast: null,
  pending: new Map(), // clientMsgId -> { chatId, text, clientMsgId, senderId, createdAt, failed? }
  drafts: new Map(), // chatId -> unsent composer text
  typing: new Map(), // chatId -> Map(userId -> timer)
  /** chatId -> the highest seq this user has read (confirmed by the server, or asked for). */
  readMarks: new Map(),
  /** chatId -> this user's role, learnt from member pages where the chat carries no member list. */
  myRoles: new Map(),
  /** 'online' | 'connecting' | 'offline' | 'unavailable' | 'reconnecting' */
  connection: 'connecting',
  socket: null,
};

/**
 * Messages of one chat, by seq. `base` is the seq right below the first loaded message: from base + 1 the
 * loaded messages are contiguous up to contiguousEnd(), which is where catching up starts.
 */
export function conversation(chatId) {
  let conv = state.conversations.get(chatId);
  if (!conv) {
    conv = { bySeq: new Map(), loaded: false, base: 0, hasOlder: true, dividerSeq: null, loading: null };
    state.conversations.set(chatId, conv);
  }
  return conv;
}

export function contiguousEnd(conv) {
  let seq = conv.base;
  while (conv.bySeq.has(seq + 1)) seq += 1;
  return seq;
}

export const sortedMessages = (conv) => [...conv.bySeq.values()].sort((a, b) => a.seq - b.seq);

// ---------- users ----------

const loadingUsers = new Map();

/** Loads a user once (later calls share the request); re-renders when a new name arrives. */
export function ensureUser(userId) {
  if (!userId) return Promise.resolve(null);
  if (state.users.has(userId)) return Promise.resolve(state.users.get(userId));
  if (!loadingUsers.has(userId)) {
    loadingUsers.set(
      userId,
      api('GET', `/users/${userId}`)
        .then((u) => {
          rememberUser(u);
          return u;
        })
        .catch(() => null)
        .finally(() => loadingUsers.delete(userId)),
    );
  }
  return loadingUsers.get(userId);
}

export function rememberUser(u) {
  const known = state.users.get(u.id);
  // A search result says null (unknown) for people who share no chat yet; keep what we learnt elsewhere.
  const keep = known && (u.online === null || u.online === undefined) && known.online !== null;
  state.users.set(u.id, keep ? { ...u, online: known.online, lastSeenAt: known.lastSeenAt } : u);
  invalidate('chats', 'header', 'messages', 'dialogs');
}

export const nameOf = (userId) => {
  if (!userId) return 'Someone';
  const u = state.users.get(userId);
  if (!u) void ensureUser(userId);
  return u?.displayName ?? '…';
};

// ---------- chats ----------

export const isGroup = (chat) => chat?.type === 'group';
/** Groups over 100 members come without `members` (paged from GET /groups/{id}/members instead). */
export const membersOf = (chat) => chat?.members ?? [];
export const otherMemberId = (chat) =>
  chat?.type === 'direct' ? membersOf(chat).find((m) => m.userId !== state.me.id)?.userId : undefined;
/** Whose colour a chat's avatar has: the other person's in a direct chat, yours for saved messages. */
export const avatarIdOf = (chat) =>
  chat?.type === 'direct'
    ? (otherMemberId(chat) ?? chat.id)
    : chat?.type === 'saved'
      ? state.me.id
      : chat?.id;
export const memberCount = (chat) => chat.memberCount ?? membersOf(chat).length;
export const myRole = (chat) =>
  membersOf(chat).find((m) => m.userId === state.me.id)?.role ?? state.myRoles.get(chat?.id) ?? null;
export const canManage = (chat) => ['owner', 'admin'].includes(myRole(chat));
export const isMuted = (chat) => chat?.muted === true;
/** The server has the mute feature when chats carry `muted`. */
export const supportsMute = (chat) => typeof chat?.muted === 'boolean';

const pendingOf = (chatId) => [...state.pending.values()].filter((p) => p.chatId === chatId);

/** When the chat was last active, counting messages still waiting in the outbox. */
export function activityAt(chat) {
  let at = chat.lastMessage?.createdAt ?? chat.updatedAt;
  for (const p of pendingOf(chat.id)) if (p.createdAt > at) at = p.createdAt;
  return at;
}

export const sortedChats = () =>
  [...state.chats.values()].sort(
    (a, b) => activityAt(b).localeCompare(activityAt(a)) || a.id.localeCompare(b.id),
  );

export const lastPending = (chatId) =>
  pendingOf(chatId)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .pop();

export function totalUnread() {
  let total = 0;
  for (const chat of state.chats.values()) if (!isMuted(chat)) total += chat.unreadCount;
  return total;
}

// ---------- outbox and drafts (per user, in localStorage) ----------

const key = (what) => `messenger.${what}.${state.me.id}`;

export const outbox = {
  load() {
    try {
      for (const p of JSON.parse(localStorage.getItem(key('outbox'))) ?? [])
        state.pending.set(p.clientMsgId, p);
    } catch {
      /* nothing saved */
    }
  },
  /** Failed ones stay too: what the user typed is never dropped unless they choose so. */
  save() {
    const unsent = [...state.pending.values()];
    if (unsent.length) localStorage.setItem(key('outbox'), JSON.stringify(unsent));
    else localStorage.removeItem(key('outbox'));
  },
};

let draftTimer;
export const drafts = {
  load() {
    try {
      for (const [chatId, text] of Object.entries(JSON.parse(localStorage.getItem(key('drafts'))) ?? {}))
        if (typeof text === 'string' && text) state.drafts.set(chatId, text);
    } catch {
      /* nothing saved */
    }
  },
  set(chatId, text) {
    const had = state.drafts.get(chatId) ?? '';
    if (text) state.drafts.set(chatId, text);
    else state.drafts.delete(chatId);
    if (Boolean(had) !== Boolean(text)) invalidate('chats');
    clearTimeout(draftTimer);
    draftTimer = setTimeout(() => this.save(), 300);
  },
  save() {
    if (!state.me) return;
    if (state.drafts.size)
      localStorage.setItem(key('drafts'), JSON.stringify(Object.fromEntries(state.drafts)));
    else localStorage.removeItem(key('drafts'));
  },
};

/** On logout: nothing of this user stays in the browser. */
export function forgetLocalData() {
  for (const k of Object.keys(localStorage))
    if (k.startsWith('messenger.outbox') || k.startsWith('messenger.drafts')) localStorage.removeItem(k);
}
