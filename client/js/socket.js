// The Socket.IO connection and the server events it applies to the state.
import { $ } from './dom.js';
import { api, refreshTokens } from './api.js';
import { session } from './session.js';
import { state, conversation } from './state.js';
import { upsertChat, renderChatList } from './chat-list.js';
import { renderAll, renderTyping, closeChat } from './conversation.js';
import { sendPending } from './composer.js';
import { renderTelegram } from './dialogs.js';
import { logout } from './main.js';

export function applyMessage(m) {
  const conv = conversation(m.chatId);
  const isNew = !conv.bySeq.has(m.seq);
  conv.bySeq.set(m.seq, m);
  const chat = state.chats.get(m.chatId);
  if (chat) {
    if (m.seq >= chat.lastSeq) {
      chat.lastSeq = m.seq;
      chat.lastMessage = m;
      if (isNew) chat.updatedAt = new Date().toISOString();
    }
    if (isNew && m.senderId !== state.me.id && m.seq > (state.markedRead.get(m.chatId) ?? 0))
      chat.unreadCount += 1;
  } else {
    api('GET', `/chats/${m.chatId}`).then(upsertChat, () => undefined);
  }
  renderAll();
}

export function applyReceipt(r) {
  const chat = state.chats.get(r.chatId);
  if (!chat) return;
  chat.readAllSeq = Math.max(chat.readAllSeq, r.readAllSeq); // receipts may arrive out of order
  if (r.userId === state.me.id) {
    state.markedRead.set(r.chatId, Math.max(state.markedRead.get(r.chatId) ?? 0, r.lastReadSeq));
    // The server counts unread messages exactly (deleted ones and our own excluded).
    api('GET', `/chats/${r.chatId}`).then(upsertChat, () => undefined);
  }
  renderAll();
}

export function applyTyping({ chatId, userId, isTyping }) {
  if (!state.typing.has(chatId)) state.typing.set(chatId, new Map());
  const typers = state.typing.get(chatId);
  clearTimeout(typers.get(userId));
  if (isTyping)
    typers.set(
      userId,
      setTimeout(() => applyTyping({ chatId, userId, isTyping: false }), 5000),
    );
  else typers.delete(userId);
  renderTyping();
}

export function applyPresence({ userId, online, lastSeenAt }) {
  const u = state.users.get(userId);
  if (u) Object.assign(u, { online, lastSeenAt });
  renderAll();
}

/** After a (re)connect: resend what is pending and fetch what was missed in loaded chats. */
export async function catchUp() {
  for (const p of state.pending.values()) if (!p.failed) void sendPending(p);
  const chats = await api('GET', '/chats');
  state.chats = new Map(chats.map((c) => [c.id, c]));
  for (const [chatId, conv] of state.conversations) {
    if (!conv.loaded || !state.chats.has(chatId)) continue;
    let after = Math.max(0, ...conv.bySeq.keys());
    for (;;) {
      const page = await api('GET', `/history/${chatId}?afterSeq=${after}&limit=100`);
      page.items.forEach((m) => conv.bySeq.set(m.seq, m));
      if (!page.hasMore || page.items.length === 0) break;
      after = page.items[page.items.length - 1].seq;
    }
  }
  renderAll();
}

export function connectSocket() {
  // WebSocket first (any instance will do); long-polling only as a fallback (Nginx keeps it sticky).
  const socket = io({
    path: '/socket.io',
    transports: ['websocket', 'polling'],
    auth: (cb) => cb({ token: session.get()?.accessToken }),
  });
  state.socket = socket;
  socket.on('connect', () => {
    $('connection').classList.add('up');
    void catchUp();
  });
  socket.on('disconnect', () => $('connection').classList.remove('up'));
  socket.on('connect_error', async (err) => {
    if (err.message !== 'Unauthorized') return; // the client retries by itself
    try {
      await refreshTokens(session.get()?.refreshToken);
      socket.connect();
    } catch {
      logout(false);
    }
  });
  socket.on('message:new', applyMessage);
  socket.on('message:updated', applyMessage);
  socket.on('message:deleted', ({ id, chatId, seq }) => {
    const existing = conversation(chatId).bySeq.get(seq);
    applyMessage({
      ...(existing ?? { id, chatId, seq, senderId: null, clientMsgId: '' }),
      text: null,
      deletedAt: new Date().toISOString(),
    });
  });
  socket.on('receipt', applyReceipt);
  socket.on('typing', applyTyping);
  socket.on('presence', applyPresence);
  socket.on('chat:new', upsertChat);
  socket.on('chat:updated', upsertChat);
  socket.on('chat:removed', ({ chatId }) => {
    state.chats.delete(chatId);
    state.conversations.delete(chatId);
    if (state.openChatId === chatId) closeChat();
    renderChatList();
  });
  socket.on('telegram:linked', ({ telegramUsername }) => renderTelegram({ linked: true, telegramUsername }));
}
