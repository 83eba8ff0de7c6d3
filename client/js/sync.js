// Keeps the state in step with the server: loads chats and history, applies socket events, sends through
// the outbox (in order, idempotent by clientMsgId), marks read, and catches up after a reconnect.
import { api } from './api.js';
import { ApiError, describeError, isTransient } from './errors.js';
import { invalidate } from './render.js';
import * as notify from './notify.js';
import {
  state,
  conversation,
  contiguousEnd,
  sortedMessages,
  ensureUser,
  rememberUser,
  otherMemberId,
  outbox,
  drafts,
} from './state.js';

const PAGE = 50;
const NEWEST = 2_147_483_647; // beforeSeq for "the newest page", whatever lastSeq the client believes
const MAX_CATCH_UP_PAGES = 10;

export const countsAsUnread = (m) => m.senderId !== state.me.id && m.type !== 'system' && !m.deletedAt;
export const readMark = (chatId) => state.readMarks.get(chatId) ?? 0;

function raiseReadMark(chatId, seq) {
  if (seq > readMark(chatId)) state.readMarks.set(chatId, seq);
}

// ---------- chats ----------

/** Chats the user was removed from (or left) while this tab was not listening. */
const leaving = new Set();

export async function loadChats() {
  const chats = await api('GET', '/chats');
  const fresh = new Set(chats.map((c) => c.id));
  for (const id of [...state.chats.keys()]) if (!fresh.has(id)) removeChat(id);
  for (const chat of chats) upsertChat(chat);
}

export function upsertChat(incoming) {
  const known = state.chats.get(incoming.id);
  let chat = incoming;
  // A chat view built before a message we already applied must not take that message back.
  if (known && known.lastSeq > incoming.lastSeq)
    chat = {
      ...incoming,
      lastSeq: known.lastSeq,
      lastMessage: known.lastMessage,
      unreadCount: known.unreadCount,
    };
  state.chats.set(chat.id, chat);
  if (chat.unreadCount === 0) raiseReadMark(chat.id, chat.lastSeq);
  const other = otherMemberId(chat);
  if (other) refreshPresence(other);
  if (chat.lastMessage?.senderId) void ensureUser(chat.lastMessage.senderId);
  if (state.notice?.chatId === chat.id) state.notice = null;
  invalidate('chats', 'pane', 'title', 'dialogs');
  return chat;
}

export async function fetchChat(chatId) {
  try {
    return upsertChat(await api('GET', `/chats/${chatId}`));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404))
      removeChat(chatId, 'unavailable');
    throw err;
  }
}

/** The user is no longer in the chat: forget it; if it was open, the pane says why instead of going blank. */
export function removeChat(chatId, reason) {
  const chat = state.chats.get(chatId);
  const why = reason ?? (leaving.has(chatId) ? 'left' : 'removed');
  leaving.delete(chatId);
  state.chats.delete(chatId);
  state.conversations.delete(chatId);
  state.typing.delete(chatId);
  for (const p of [...state.pending.values()]) if (p.chatId === chatId) state.pending.delete(p.clientMsgId);
  outbox.save();
  drafts.set(chatId, '');
  if (state.openChatId === chatId) {
    state.openChatId = null;
    state.notice = { chatId, title: chat?.title ?? 'this chat', type: chat?.type, reason: why };
  } else if (why === 'removed' && chat) {
    // Not open: the chat would otherwise just vanish from the list.
    state.toast = { reason: why, title: chat.title };
    invalidate('toast');
  }
  invalidate('chats', 'pane', 'title', 'dialogs');
}

// ---------- history ----------

function merge(conv, items) {
  for (const m of items) conv.bySeq.set(m.seq, m);
  for (const m of items) {
    if (m.senderId) void ensureUser(m.senderId);
    for (const id of m.system?.userIds ?? []) void ensureUser(id);
    if (m.system?.actorId) void ensureUser(m.system.actorId);
  }
}

function noteLatest(chatId, items) {
  const chat = state.chats.get(chatId);
  const newest = items[items.length - 1];
  if (chat && newest && newest.seq >= chat.lastSeq) {
    chat.lastSeq = newest.seq;
    chat.lastMessage = newest;
  }
}

/** The newest page of a chat (once); later pages come from loadOlder and catchUpChat. */
export function loadLatest(chatId) {
  const conv = conversation(chatId);
  if (conv.loaded) return Promise.resolve();
  conv.loading ??= (async () => {
    const page = await api('GET', `/history/${chatId}?beforeSeq=${NEWEST}&limit=${PAGE}`);
    merge(conv, page.items);
    conv.base = page.items.length ? page.items[0].seq - 1 : 0;
    conv.hasOlder = page.hasMore && conv.base > 0;
    conv.loaded = true;
    noteLatest(chatId, page.items);
    invalidate('messages', 'chats');
  })().finally(() => {
    conv.loading = null;
  });
  return conv.loading;
}

export function loadOlder(chatId, limit = PAGE) {
  const conv = conversation(chatId);
  if (!conv.loaded || !conv.hasOlder) return Promise.resolve();
  conv.loadingOlder ??= (async () => {
    const page = await api('GET', `/history/${chatId}?beforeSeq=${conv.base + 1}&limit=${limit}`);
    merge(conv, page.items);
    if (page.items.length) conv.base = page.items[0].seq - 1;
    conv.hasOlder = page.hasMore && conv.base > 0 && page.items.length > 0;
    invalidate('messages');
  })().finally(() => {
    conv.loadingOlder = null;
  });
  return conv.loadingOlder;
}

/** Fetches everything after the last contiguous seq, so a reconnect or a missed event leaves no gap. */
export function catchUpChat(chatId) {
  const conv = state.conversations.get(chatId);
  if (!conv?.loaded) return Promise.resolve();
  conv.catchingUp ??= (async () => {
    for (let pages = 0; ; pages++) {
      const page = await api('GET', `/history/${chatId}?afterSeq=${contiguousEnd(conv)}&limit=100`);
      merge(conv, page.items);
      noteLatest(chatId, page.items);
      if (!page.hasMore || page.items.length === 0) break;
      if (pages >= MAX_CATCH_UP_PAGES) {
        // Far behind: start again from the newest page rather than holding thousands of messages.
        state.conversations.delete(chatId);
        await loadLatest(chatId);
        break;
      }
    }
    invalidate('messages', 'chats');
  })().finally(() => {
    conv.catchingUp = null;
  });
  return conv.catchingUp;
}

/**
 * The first unread message of a chat, from the server's unreadCount: counted back from the newest message,
 * loading older pages as needed. Null when nothing is unread.
 */
export async function findFirstUnread(chatId) {
  const chat = state.chats.get(chatId);
  const conv = conversation(chatId);
  const wanted = chat?.unreadCount ?? 0;
  if (wanted <= 0) return null;
  for (let round = 0; round < 10; round++) {
    let counted = 0;
    let oldest = null;
    for (const m of sortedMessages(conv).reverse()) {
      if (!countsAsUnread(m)) continue;
      counted += 1;
      oldest = m.seq;
      if (counted === wanted) return m.seq;
    }
    if (!conv.hasOlder) return oldest;
    await loadOlder(chatId, 100);
  }
  return null;
}

// ---------- events from the server ----------

export function applyMessage(m, { live = false } = {}) {
  const conv = conversation(m.chatId);
  const isNew = !conv.bySeq.has(m.seq);
  // Outside the loaded window (older than what is shown): only the chat list needs it.
  if (!(conv.loaded && m.seq <= conv.base)) merge(conv, [m]);
  if (m.senderId === state.me.id && state.pending.delete(m.clientMsgId)) outbox.save();
  const chat = state.chats.get(m.chatId);
  if (!chat) {
    void fetchChat(m.chatId).catch(() => undefined);
    return;
  }
  if (m.seq >= chat.lastSeq) {
    chat.lastSeq = m.seq;
    chat.lastMessage = m;
  }
  if (isNew && live) {
    if (countsAsUnread(m) && m.seq > readMark(chat.id)) {
      chat.unreadCount += 1;
      // Away from an open chat: mark where the new messages start, as when opening it.
      if (state.openChatId === chat.id && document.visibilityState !== 'visible' && !conv.dividerSeq)
        conv.dividerSeq = m.seq;
    }
    notify.incoming(chat, m);
  }
  if (conv.loaded && m.seq > contiguousEnd(conv) + 1) void catchUpChat(m.chatId).catch(() => undefined);
  invalidate('chats', 'messages', 'title');
}

/** An edit or deletion: changes a message the client has, never inserts an old one out of place. */
export function applyChanged(m) {
  const conv = state.conversations.get(m.chatId);
  const existing = conv?.bySeq.get(m.seq);
  if (existing) conv.bySeq.set(m.seq, { ...existing, ...m });
  const chat = state.chats.get(m.chatId);
  if (chat?.lastMessage?.id === m.id) chat.lastMessage = { ...chat.lastMessage, ...m };
  invalidate('chats', 'messages');
}

export function applyDeleted({ id, chatId, seq }) {
  const existing = state.conversations.get(chatId)?.bySeq.get(seq);
  applyChanged({ ...(existing ?? {}), id, chatId, seq, text: null, deletedAt: new Date().toISOString() });
  // An unread message that disappears no longer counts: the server's figure is exact.
  if (state.chats.get(chatId)?.unreadCount) void fetchChat(chatId).catch(() => undefined);
}

export function applyReceipt(r) {
  const chat = state.chats.get(r.chatId);
  if (!chat) return;
  chat.readAllSeq = Math.max(chat.readAllSeq, r.readAllSeq); // receipts may arrive out of order
  if (r.userId === state.me.id) {
    raiseReadMark(r.chatId, r.lastReadSeq);
    const conv = state.conversations.get(r.chatId);
    // Everything after the mark is loaded: count locally; otherwise ask the server for the exact figure.
    if (conv?.loaded && conv.base <= r.lastReadSeq && contiguousEnd(conv) >= chat.lastSeq) {
      chat.unreadCount = sortedMessages(conv).filter(
        (m) => m.seq > r.lastReadSeq && countsAsUnread(m),
      ).length;
    } else {
      void fetchChat(r.chatId).catch(() => undefined);
    }
  }
  invalidate('messages', 'chats', 'title');
}

export function applyTyping({ chatId, userId, isTyping }) {
  if (!state.typing.has(chatId)) state.typing.set(chatId, new Map());
  const typers = state.typing.get(chatId);
  clearTimeout(typers.get(userId));
  if (isTyping)
    typers.set(
      userId,
      setTimeout(() => applyTyping({ chatId, userId, isTyping: false }), 6000),
    );
  else typers.delete(userId);
  invalidate('typing', 'chats');
}

export function applyPresence({ userId, online, lastSeenAt }) {
  const u = state.users.get(userId);
  if (u) state.users.set(userId, { ...u, online, lastSeenAt });
  else void ensureUser(userId);
  invalidate('chats', 'header', 'dialogs');
}

const presenceRead = new Set(); // users whose presence was read since the socket (re)connected

/**
 * Presence of a direct-chat partner, read once per connection: the server shows presence only to people who
 * share a chat, so what a search said before the chat existed is no guide; later changes come as events.
 */
function refreshPresence(userId) {
  if (presenceRead.has(userId) || state.connection !== 'online') return void ensureUser(userId);
  presenceRead.add(userId);
  void api('GET', `/users/${userId}`).then(rememberUser, () => presenceRead.delete(userId));
}

/** Disconnected: nobody's presence is known any more, and typing indicators are stale. */
export function forgetPresence() {
  presenceRead.clear();
  for (const [id, u] of state.users) if (id !== state.me?.id) state.users.set(id, { ...u, online: null });
  for (const typers of state.typing.values()) for (const timer of typers.values()) clearTimeout(timer);
  state.typing.clear();
  invalidate('chats', 'header', 'typing', 'dialogs');
}

// ---------- sending ----------

export function queueMessage(chatId, text) {
  const p = {
    chatId,
    text,
    clientMsgId: crypto.randomUUID(),
    senderId: state.me.id,
    createdAt: new Date().toISOString(),
  };
  state.pending.set(p.clientMsgId, p);
  outbox.save();
  invalidate('messages', 'chats');
  void flushOutbox();
  return p;
}

let flushing = null;
let flushAgain = false;
let retryTimer;
let sendFailures = 0;
const RETRYABLE = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'INTERNAL']);

/** Sends the outbox one message at a time, oldest first, so the server's seqs follow the user's order. */
export function flushOutbox() {
  if (flushing) {
    flushAgain = true;
    return flushing;
  }
  flushing = (async () => {
    do {
      flushAgain = false;
      const queue = [...state.pending.values()].filter((p) => !p.failed);
      queue.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      for (const p of queue) {
        if (!state.socket?.connected || !state.pending.has(p.clientMsgId)) break;
        if ((await sendOne(p)) === 'later') return;
      }
    } while (flushAgain);
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

async function sendOne(p) {
  try {
    const ack = await state.socket
      .timeout(10_000)
      .emitWithAck('message:send', { chatId: p.chatId, text: p.text, clientMsgId: p.clientMsgId });
    if (ack.ok) {
      sendFailures = 0;
      state.pending.delete(p.clientMsgId);
      applyMessage(ack.data);
      return 'sent';
    }
    const err = new ApiError(0, ack.error, ack.error.retryAfter);
    // Worth another try with the same clientMsgId (never stored twice): limits, outages, server errors.
    if (RETRYABLE.has(err.code) || isTransient(err)) {
      sendFailures += 1;
      const backoff = Math.min(60_000, 1000 * 2 ** Math.min(sendFailures, 6));
      retryLater(Math.max((err.retryAfter ?? 0) * 1000, backoff));
      return 'later';
    }
    p.failed = describeError(err);
    return 'failed';
  } catch {
    // No ack in time: resent with the same clientMsgId (never stored twice) on reconnect or shortly.
    retryLater(3000);
    return 'later';
  } finally {
    outbox.save();
    invalidate('messages', 'chats');
  }
}

function retryLater(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => void flushOutbox(), ms);
}

export function retryPending(clientMsgId) {
  const p = state.pending.get(clientMsgId);
  if (!p) return;
  delete p.failed;
  outbox.save();
  invalidate('messages');
  void flushOutbox();
}

export function discardPending(clientMsgId) {
  state.pending.delete(clientMsgId);
  outbox.save();
  invalidate('messages', 'chats');
}

// ---------- read marks ----------

const wantedRead = new Map(); // chatId -> highest seq seen on screen, not yet confirmed
const readTimers = new Map();

/** The user has seen everything up to `seq`: tell the server (batched; kept until a connection exists). */
export function markRead(chatId, seq) {
  if (seq <= readMark(chatId) || seq <= (wantedRead.get(chatId) ?? 0)) return;
  wantedRead.set(chatId, seq);
  clearTimeout(readTimers.get(chatId));
  readTimers.set(
    chatId,
    setTimeout(() => void sendReadMark(chatId), 150),
  );
}

async function sendReadMark(chatId) {
  const seq = wantedRead.get(chatId);
  if (!seq || !state.socket?.connected) return;
  const ack = await state.socket
    .timeout(5000)
    .emitWithAck('message:read', { chatId, seq })
    .catch(() => null);
  if (ack?.ok) {
    if ((wantedRead.get(chatId) ?? 0) <= seq) wantedRead.delete(chatId);
    applyReceipt(ack.data);
  }
}

export function flushReadMarks() {
  for (const chatId of wantedRead.keys()) void sendReadMark(chatId);
}

// ---------- actions ----------

export async function editMessage(m, text) {
  applyChanged(await api('PATCH', `/messages/${m.id}`, { text }));
}

export async function deleteMessage(m) {
  await api('DELETE', `/messages/${m.id}`);
  applyDeleted(m);
}

export async function openDirect(userId) {
  return upsertChat(await api('POST', '/chats/direct', { userId }));
}

export async function createGroup(name, memberIds) {
  const group = await api('POST', '/groups', { name, memberIds });
  await fetchChat(group.chatId);
  return group;
}

export async function renameGroup(chat, name) {
  await api('PATCH', `/groups/${chat.groupId}`, { name });
  await fetchChat(chat.id);
}

export async function addMembers(chat, userIds) {
  await api('POST', `/groups/${chat.groupId}/members`, { userIds });
  await fetchChat(chat.id);
}

export async function removeMember(chat, userId) {
  await api('DELETE', `/groups/${chat.groupId}/members/${userId}`);
  await fetchChat(chat.id);
}

export async function setRole(chat, userId, role) {
  await api('PATCH', `/groups/${chat.groupId}/members/${userId}`, { role });
  await fetchChat(chat.id);
}

export async function leaveGroup(chat) {
  leaving.add(chat.id);
  try {
    await api('DELETE', `/groups/${chat.groupId}/members/${state.me.id}`);
  } catch (err) {
    leaving.delete(chat.id);
    throw err;
  }
  if (state.chats.has(chat.id)) removeChat(chat.id, 'left');
}

/** Members of a big group page by page (servers that omit `members` for groups over 100). */
export async function groupMembersPage(chat, offset, limit = 50) {
  return api('GET', `/groups/${chat.groupId}/members?limit=${limit}&offset=${offset}`);
}

export async function setMuted(chat, muted) {
  upsertChat(await api('PATCH', `/chats/${chat.id}`, { muted }));
}

export async function updateProfile(patch) {
  const me = await api('PATCH', '/users/me', patch);
  state.me = { ...state.me, ...me };
  rememberUser(state.me);
  return state.me;
}

export async function searchUsers(search, limit, offset = 0) {
  const q = new URLSearchParams({ limit: String(limit), offset: String(offset) });
  if (search) q.set('search', search);
  const page = await api('GET', `/users?${q}`);
  for (const u of page.items) if (u.id !== state.me.id) rememberUser(u);
  return page;
}

// ---------- after a (re)connect ----------

/**
 * Sends the outbox and the read marks, refreshes the chat list, and fetches what every loaded chat missed
 * from its last contiguous seq. Presence of direct-chat partners is read afresh (it was unknown offline).
 */
export async function resync() {
  void flushOutbox();
  flushReadMarks();
  await loadChats();
  const work = [];
  for (const chatId of state.conversations.keys())
    if (state.chats.has(chatId)) work.push(catchUpChat(chatId));
  if (state.openChatId) work.push(refreshRecent(state.openChatId));
  for (const id of new Set([...state.chats.values()].map(otherMemberId).filter(Boolean))) refreshPresence(id);
  await Promise.allSettled(work);
}

/** The open chat's newest page again: edits and deletions made while offline show up too. */
async function refreshRecent(chatId) {
  const conv = state.conversations.get(chatId);
  if (!conv?.loaded) return loadLatest(chatId);
  await catchUpChat(chatId);
  const page = await api('GET', `/history/${chatId}?beforeSeq=${NEWEST}&limit=${PAGE}`);
  for (const m of page.items) if (conv.bySeq.has(m.seq)) conv.bySeq.set(m.seq, m);
  invalidate('messages', 'chats');
}
