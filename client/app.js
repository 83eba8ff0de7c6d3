// Messenger web client: plain JS on the public API (REST under /api, Socket.IO at /socket.io).
// User text is only ever inserted with textContent, never as HTML.

const $ = (id) => document.getElementById(id);
const SESSION_KEY = 'messenger.session';
const OUTBOX_KEY = 'messenger.outbox';

// ---------- session and REST ----------

const session = {
  get() {
    try {
      return JSON.parse(localStorage.getItem(SESSION_KEY)) ?? null;
    } catch {
      return null;
    }
  },
  set(tokens) {
    localStorage.setItem(SESSION_KEY, JSON.stringify(tokens));
  },
  clear() {
    localStorage.removeItem(SESSION_KEY);
  },
};

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Refresh tokens are single use: tabs take turns (Web Locks), and a tab reuses a token another tab just got. */
async function refreshTokens(staleRefreshToken) {
  const run = async () => {
    const current = session.get();
    if (!current) throw new ApiError(401, { message: 'Logged out' });
    if (current.refreshToken !== staleRefreshToken) return current; // another tab already refreshed
    const res = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: current.refreshToken }),
    });
    if (!res.ok) {
      session.clear();
      throw new ApiError(res.status, await res.json().catch(() => null));
    }
    const tokens = await res.json();
    session.set(tokens);
    return tokens;
  };
  return navigator.locks ? navigator.locks.request('messenger-refresh', run) : run();
}

async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const tokens = session.get();
    const headers = {};
    if (tokens) headers.authorization = `Bearer ${tokens.accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401 && tokens && attempt === 0 && !path.startsWith('/auth/')) {
      await refreshTokens(tokens.refreshToken);
      continue;
    }
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
}

// ---------- state ----------

const state = {
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

const outbox = {
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

const conversation = (chatId) => {
  if (!state.conversations.has(chatId)) state.conversations.set(chatId, { bySeq: new Map(), hasOlder: true, loaded: false });
  return state.conversations.get(chatId);
};

async function user(userId) {
  if (!state.users.has(userId)) state.users.set(userId, await api('GET', `/users/${userId}`));
  return state.users.get(userId);
}
const nameOf = (userId) => state.users.get(userId)?.displayName ?? '…';

// ---------- auth screen ----------

function showFieldErrors(form, err) {
  form.querySelectorAll('[data-error-for]').forEach((el) => (el.textContent = ''));
  const details = Array.isArray(err.body?.details) ? err.body.details : [];
  let placed = false;
  for (const d of details) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(d.field)}"]`);
    if (slot) {
      slot.textContent = d.errors.join(', ');
      placed = true;
    }
  }
  if (!placed) {
    const field = err.body?.code === 'EMAIL_TAKEN' ? 'email' : err.body?.code === 'USERNAME_TAKEN' ? 'username' : '_form';
    const slot = form.querySelector(`[data-error-for="${field}"]`) ?? form.querySelector('[data-error-for="_form"]');
    slot.textContent = err.message;
  }
}

function bindAuthForms() {
  for (const [formId, path] of [
    ['login-form', '/auth/login'],
    ['register-form', '/auth/register'],
  ]) {
    const form = $(formId);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ''));
      if (path === '/auth/login') body.deviceName = navigator.userAgent.slice(0, 64);
      try {
        const result = await api('POST', path, body);
        session.set({ accessToken: result.accessToken, refreshToken: result.refreshToken });
        form.reset();
        await start();
      } catch (err) {
        showFieldErrors(form, err);
      }
    });
  }
}

function showAuth() {
  $('app').hidden = true;
  $('auth').hidden = false;
}

// ---------- chat list ----------

const sortedChats = () => [...state.chats.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
const otherMember = (chat) => chat.members.find((m) => m.userId !== state.me.id)?.userId;

function previewOf(chat) {
  const m = chat.lastMessage;
  if (!m) return 'No messages yet';
  const who = m.senderId === state.me.id ? 'You: ' : chat.type === 'group' ? `${nameOf(m.senderId)}: ` : '';
  return who + (m.text ?? 'Message deleted');
}

function renderChatList() {
  const list = $('chat-list');
  list.replaceChildren(
    ...sortedChats().map((chat) => {
      const li = document.createElement('li');
      li.className = 'chat-item' + (chat.id === state.openChatId ? ' active' : '');
      li.dataset.chatId = chat.id;
      li.dataset.testid = 'chat-item';
      const title = document.createElement('span');
      title.className = 'title';
      title.textContent = chat.title;
      const other = chat.type === 'direct' ? state.users.get(otherMember(chat)) : null;
      if (other?.online) {
        const dot = document.createElement('span');
        dot.className = 'dot';
        dot.title = 'online';
        title.append(dot);
      }
      const badge = document.createElement('span');
      if (chat.unreadCount > 0) {
        badge.className = 'badge';
        badge.dataset.testid = 'unread';
        badge.textContent = String(chat.unreadCount);
      }
      const preview = document.createElement('span');
      preview.className = 'preview';
      preview.textContent = previewOf(chat);
      li.append(title, badge, preview);
      li.addEventListener('click', () => openChat(chat.id));
      return li;
    }),
  );
}

function upsertChat(chat) {
  state.chats.set(chat.id, chat);
  for (const m of chat.members) if (!state.users.has(m.userId)) user(m.userId).then(renderAll, () => undefined);
  renderChatList();
}

// ---------- conversation ----------

function statusLine(chat) {
  if (chat.type === 'saved') return 'Your notes';
  if (chat.type === 'group') return `${chat.members.length} members`;
  const other = state.users.get(otherMember(chat));
  if (!other) return '';
  if (other.online) return 'online';
  return other.lastSeenAt ? `last seen ${new Date(other.lastSeenAt).toLocaleString()}` : 'offline';
}

function renderHeader() {
  const chat = state.chats.get(state.openChatId);
  if (!chat) return;
  $('chat-title').textContent = chat.title;
  $('chat-status').textContent = statusLine(chat);
  $('manage-group').hidden = chat.type !== 'group';
}

function messageElement(chat, m, pending) {
  const own = m.senderId === state.me.id || pending;
  const li = document.createElement('li');
  li.className = 'message' + (own ? ' own' : '') + (m.deletedAt ? ' deleted' : '') + (pending ? ' pending' : '') + (pending?.failed ? ' failed' : '');
  li.dataset.testid = 'message';
  if (m.seq) li.dataset.seq = String(m.seq);
  if (m.id) li.dataset.id = m.id;
  if (!own && chat.type === 'group') {
    const sender = document.createElement('div');
    sender.className = 'sender';
    sender.textContent = nameOf(m.senderId);
    li.append(sender);
  }
  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = m.deletedAt ? 'Message deleted' : m.text;
  const meta = document.createElement('div');
  meta.className = 'meta';
  if (m.editedAt && !m.deletedAt) meta.append(Object.assign(document.createElement('span'), { textContent: 'edited' }));
  if (m.createdAt) {
    meta.append(Object.assign(document.createElement('time'), { textContent: new Date(m.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) }));
  }
  if (own) {
    const status = document.createElement('span');
    status.className = 'status';
    status.dataset.testid = 'status';
    const read = !pending && m.seq <= chat.readAllSeq;
    status.dataset.status = pending ? (pending.failed ? 'failed' : 'pending') : read ? 'read' : 'sent';
    status.textContent = pending ? (pending.failed ? '!' : '🕓') : read ? '✓✓' : '✓';
    status.title = pending ? (pending.failed ? `Not sent: ${pending.failed}` : 'Sending…') : read ? 'Read' : 'Sent';
    meta.append(status);
    if (!pending && !m.deletedAt) {
      const actions = document.createElement('span');
      actions.className = 'actions';
      const edit = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Edit', title: 'Edit' });
      edit.addEventListener('click', () => editMessage(m));
      const del = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Delete', title: 'Delete' });
      del.addEventListener('click', () => deleteMessage(m));
      actions.append(edit, del);
      meta.append(actions);
    }
  }
  li.append(text, meta);
  return li;
}

let readObserver;
function renderMessages({ keepScroll = false } = {}) {
  const chat = state.chats.get(state.openChatId);
  if (!chat) return;
  const list = $('messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const fromBottom = list.scrollHeight - list.scrollTop;
  const conv = conversation(chat.id);
  const stored = [...conv.bySeq.values()].sort((a, b) => a.seq - b.seq);
  const storedIds = new Set(stored.map((m) => m.clientMsgId + m.senderId));
  const pending = [...state.pending.values()].filter((p) => p.chatId === chat.id && !storedIds.has(p.clientMsgId + state.me.id));
  readObserver?.disconnect();
  list.replaceChildren(...stored.map((m) => messageElement(chat, m, null)), ...pending.map((p) => messageElement(chat, p, p)));
  if (keepScroll) list.scrollTop = list.scrollHeight - fromBottom;
  else if (nearBottom || !list.dataset.rendered) list.scrollTop = list.scrollHeight;
  list.dataset.rendered = '1';
  observeUnread(chat, list);
}

/** Marks read what is actually on screen: messages from others that become visible while the page is visible. */
function observeUnread(chat, list) {
  readObserver = new IntersectionObserver(
    (entries) => {
      if (document.visibilityState !== 'visible') return;
      const seqs = entries.filter((e) => e.isIntersecting).map((e) => Number(e.target.dataset.seq));
      if (seqs.length) markRead(chat.id, Math.max(...seqs));
    },
    { root: list, threshold: 0.6 },
  );
  for (const li of list.querySelectorAll('.message:not(.own)[data-seq]')) readObserver.observe(li);
}

const readTimers = new Map();
function markRead(chatId, seq) {
  if (seq <= (state.markedRead.get(chatId) ?? 0)) return;
  state.markedRead.set(chatId, seq);
  clearTimeout(readTimers.get(chatId));
  readTimers.set(
    chatId,
    setTimeout(async () => {
      const ack = await state.socket?.timeout(5000).emitWithAck('message:read', { chatId, seq: state.markedRead.get(chatId) }).catch(() => null);
      if (ack?.ok) applyReceipt(ack.data);
    }, 150),
  );
}

function renderTyping() {
  const typers = [...(state.typing.get(state.openChatId)?.keys() ?? [])].map(nameOf);
  $('typing').textContent = typers.length ? `${typers.join(', ')} ${typers.length > 1 ? 'are' : 'is'} typing…` : '';
}

function renderAll() {
  renderChatList();
  if (state.openChatId) {
    renderHeader();
    renderMessages();
    renderTyping();
  }
}

async function openChat(chatId) {
  state.openChatId = chatId;
  const chat = state.chats.get(chatId) ?? (await api('GET', `/chats/${chatId}`));
  upsertChat(chat);
  await Promise.all(chat.members.map((m) => user(m.userId).catch(() => null)));
  $('no-chat').hidden = true;
  $('chat-view').hidden = false;
  $('app').classList.add('chat-open');
  $('messages').dataset.rendered = '';
  const conv = conversation(chatId);
  if (!conv.loaded) {
    const page = await api('GET', `/history/${chatId}?beforeSeq=${chat.lastSeq + 1}&limit=30`);
    page.items.forEach((m) => conv.bySeq.set(m.seq, m));
    conv.hasOlder = page.hasMore;
    conv.loaded = true;
  }
  history.replaceState(null, '', `?chat=${chatId}`);
  renderAll();
  $('message-input').focus();
}

async function loadOlder() {
  const chatId = state.openChatId;
  const conv = conversation(chatId);
  if (!conv.loaded || !conv.hasOlder || conv.loadingOlder) return;
  const oldest = Math.min(...conv.bySeq.keys());
  if (!Number.isFinite(oldest) || oldest <= 1) return void (conv.hasOlder = false);
  conv.loadingOlder = true;
  try {
    const page = await api('GET', `/history/${chatId}?beforeSeq=${oldest}&limit=30`);
    page.items.forEach((m) => conv.bySeq.set(m.seq, m));
    conv.hasOlder = page.hasMore;
    if (chatId === state.openChatId) renderMessages({ keepScroll: true });
  } finally {
    conv.loadingOlder = false;
  }
}

// ---------- sending, editing ----------

async function sendPending(p) {
  if (!state.socket?.connected) return; // stays in the outbox; resent on (re)connect
  try {
    const ack = await state.socket.timeout(10000).emitWithAck('message:send', { chatId: p.chatId, text: p.text, clientMsgId: p.clientMsgId });
    if (ack.ok) {
      state.pending.delete(p.clientMsgId);
      applyMessage(ack.data);
    } else if (ack.error.code === 'RATE_LIMITED') {
      setTimeout(() => sendPending(p), (ack.error.retryAfter ?? 1) * 1000);
    } else {
      p.failed = ack.error.message;
      $('composer-error').textContent = ack.error.message;
    }
  } catch {
    // No ack in time (connection trouble): the same clientMsgId is resent on reconnect, never duplicated.
  }
  outbox.save();
  renderAll();
}

function bindComposer() {
  const input = $('message-input');
  let typingSent = 0;
  let typingIdle;
  const stopTyping = () => {
    clearTimeout(typingIdle);
    if (typingSent) state.socket?.emit('typing', { chatId: state.openChatId, isTyping: false });
    typingSent = 0;
  };
  input.addEventListener('input', () => {
    if (!state.openChatId || !input.value.trim()) return stopTyping();
    if (Date.now() - typingSent > 2000) {
      state.socket?.emit('typing', { chatId: state.openChatId, isTyping: true });
      typingSent = Date.now();
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 3000);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    $('composer-error').textContent = '';
    if (!text || !state.openChatId) return;
    input.value = '';
    stopTyping();
    const p = { chatId: state.openChatId, text, clientMsgId: crypto.randomUUID(), senderId: state.me.id };
    state.pending.set(p.clientMsgId, p);
    outbox.save();
    renderMessages();
    $('messages').scrollTop = $('messages').scrollHeight;
    void sendPending(p);
  });
  $('messages').addEventListener('scroll', () => {
    if ($('messages').scrollTop < 60) void loadOlder();
  });
}

async function editMessage(m) {
  const text = prompt('Edit message', m.text);
  if (text === null || !text.trim() || text.trim() === m.text) return;
  try {
    applyMessage(await api('PATCH', `/messages/${m.id}`, { text }));
  } catch (err) {
    $('composer-error').textContent = err.message;
  }
}

async function deleteMessage(m) {
  if (!confirm('Delete this message?')) return;
  try {
    await api('DELETE', `/messages/${m.id}`);
    applyMessage({ ...m, text: null, deletedAt: new Date().toISOString() });
  } catch (err) {
    $('composer-error').textContent = err.message;
  }
}

// ---------- applying server events ----------

function applyMessage(m) {
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
    if (isNew && m.senderId !== state.me.id && m.seq > (state.markedRead.get(m.chatId) ?? 0)) chat.unreadCount += 1;
  } else {
    api('GET', `/chats/${m.chatId}`).then(upsertChat, () => undefined);
  }
  renderAll();
}

function applyReceipt(r) {
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

function applyTyping({ chatId, userId, isTyping }) {
  if (!state.typing.has(chatId)) state.typing.set(chatId, new Map());
  const typers = state.typing.get(chatId);
  clearTimeout(typers.get(userId));
  if (isTyping) typers.set(userId, setTimeout(() => applyTyping({ chatId, userId, isTyping: false }), 5000));
  else typers.delete(userId);
  renderTyping();
}

function applyPresence({ userId, online, lastSeenAt }) {
  const u = state.users.get(userId);
  if (u) Object.assign(u, { online, lastSeenAt });
  renderAll();
}

/** After a (re)connect: resend what is pending and fetch what was missed in loaded chats. */
async function catchUp() {
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

function connectSocket() {
  // WebSocket first (any instance will do); long-polling only as a fallback (Nginx keeps it sticky).
  const socket = io({ path: '/socket.io', transports: ['websocket', 'polling'], auth: (cb) => cb({ token: session.get()?.accessToken }) });
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
    applyMessage({ ...(existing ?? { id, chatId, seq, senderId: null, clientMsgId: '' }), text: null, deletedAt: new Date().toISOString() });
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

function closeChat() {
  state.openChatId = null;
  $('chat-view').hidden = true;
  $('no-chat').hidden = false;
  $('app').classList.remove('chat-open');
  history.replaceState(null, '', '/');
}

// ---------- search, groups, Telegram ----------

function searchBox(input, results, onPick) {
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (!q) return results.replaceChildren();
      const { items } = await api('GET', `/users?search=${encodeURIComponent(q)}&limit=10`);
      results.replaceChildren(
        ...items.map((u) => {
          state.users.set(u.id, u);
          const li = document.createElement('li');
          li.dataset.testid = 'search-result';
          li.dataset.userId = u.id;
          li.textContent = u.id === state.me.id ? `${u.displayName} (you: saved messages)` : `${u.displayName} @${u.username}`;
          li.addEventListener('click', () => {
            input.value = '';
            results.replaceChildren();
            onPick(u);
          });
          return li;
        }),
      );
    }, 200);
  });
}

const group = { editing: null, selected: new Map() };

function renderGroupDialog() {
  const chat = group.editing ? state.chats.get(group.editing.chatId) : null;
  const myRole = chat?.members.find((m) => m.userId === state.me.id)?.role;
  const canManage = !chat || myRole === 'owner' || myRole === 'admin';
  $('group-dialog-title').textContent = chat ? chat.title : 'New group';
  $('group-name-label').hidden = Boolean(chat);
  $('group-save').hidden = Boolean(chat);
  $('group-leave').hidden = !chat;
  $('group-search').hidden = !canManage;
  const members = chat ? chat.members : [...group.selected.values()].map((u) => ({ userId: u.id, role: 'member' }));
  $('group-members').replaceChildren(
    ...members.map((m) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = m.userId === state.me.id ? `${nameOf(m.userId)} (you)` : nameOf(m.userId);
      const role = Object.assign(document.createElement('span'), { className: 'role', textContent: m.role });
      li.append(name, role);
      const removable = !chat || (canManage && m.userId !== state.me.id && m.role !== 'owner' && !(myRole === 'admin' && m.role === 'admin'));
      if (removable) {
        const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Remove' });
        remove.addEventListener('click', async () => {
          if (!chat) group.selected.delete(m.userId);
          else await api('DELETE', `/groups/${chat.groupId}/members/${m.userId}`).catch((err) => showFieldErrors($('group-form'), err));
          renderGroupDialog();
        });
        li.append(remove);
      }
      return li;
    }),
  );
}

function bindGroups() {
  $('new-group').addEventListener('click', () => {
    group.editing = null;
    group.selected.clear();
    $('group-name').value = '';
    renderGroupDialog();
    $('group-dialog').showModal();
  });
  $('manage-group').addEventListener('click', () => {
    const chat = state.chats.get(state.openChatId);
    group.editing = { chatId: chat.id, groupId: chat.groupId };
    renderGroupDialog();
    $('group-dialog').showModal();
  });
  searchBox($('group-search'), $('group-search-results'), async (u) => {
    if (!group.editing) {
      if (u.id !== state.me.id) group.selected.set(u.id, u);
    } else {
      await api('POST', `/groups/${group.editing.groupId}/members`, { userIds: [u.id] }).catch((err) => showFieldErrors($('group-form'), err));
    }
    renderGroupDialog();
  });
  $('group-save').addEventListener('click', async () => {
    try {
      const created = await api('POST', '/groups', { name: $('group-name').value, memberIds: [...group.selected.keys()] });
      $('group-dialog').close();
      await openChat(created.chatId);
    } catch (err) {
      showFieldErrors($('group-form'), err);
    }
  });
  $('group-leave').addEventListener('click', async () => {
    await api('DELETE', `/groups/${group.editing.groupId}/members/${state.me.id}`);
    $('group-dialog').close();
  });
}

function renderTelegram(status) {
  $('telegram-status').textContent = status.linked ? `Telegram: ${status.telegramUsername ? '@' + status.telegramUsername : 'linked'} ✓` : '';
  $('telegram-connect').hidden = status.linked;
  $('telegram-disconnect').hidden = !status.linked;
  if (status.linked) $('telegram-link').hidden = true;
}

function bindTelegram() {
  $('telegram-connect').addEventListener('click', async () => {
    try {
      const { url, expiresAt } = await api('POST', '/telegram/link');
      const link = $('telegram-link');
      link.href = url;
      link.textContent = `Open the bot in Telegram (valid until ${new Date(expiresAt).toLocaleTimeString()})`;
      link.hidden = false;
    } catch (err) {
      $('telegram-status').textContent = err.message;
    }
  });
  $('telegram-disconnect').addEventListener('click', async () => {
    await api('DELETE', '/telegram/link');
    renderTelegram({ linked: false });
  });
}

// ---------- start ----------

async function logout(callServer = true) {
  if (callServer) await api('POST', '/auth/logout').catch(() => undefined);
  session.clear();
  localStorage.removeItem(OUTBOX_KEY);
  location.href = '/';
}

async function start() {
  try {
    state.me = await api('GET', '/users/me');
  } catch {
    session.clear();
    return showAuth();
  }
  state.users.set(state.me.id, state.me);
  $('me-name').textContent = state.me.displayName;
  $('auth').hidden = true;
  $('app').hidden = false;
  outbox.load();
  // Everyone has a "Saved messages" chat.
  await api('POST', '/chats/direct', { userId: state.me.id });
  const chats = await api('GET', '/chats');
  chats.forEach(upsertChat);
  api('GET', '/telegram/link').then(renderTelegram, () => undefined);
  connectSocket();
  const wanted = new URLSearchParams(location.search).get('chat');
  if (wanted && state.chats.has(wanted)) await openChat(wanted);
}

bindAuthForms();
bindComposer();
bindGroups();
bindTelegram();
searchBox($('user-search'), $('search-results'), async (u) => {
  const chat = await api('POST', '/chats/direct', { userId: u.id });
  upsertChat(chat);
  await openChat(chat.id);
});
$('logout').addEventListener('click', () => logout());
$('back').addEventListener('click', closeChat);
document.addEventListener('visibilitychange', () => state.openChatId && renderMessages());
if (session.get()) void start();
else showAuth();
