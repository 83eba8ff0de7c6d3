// The open conversation: header, messages, read marks, history paging.
import { $ } from './dom.js';
import { api } from './api.js';
import { state, conversation, user, nameOf, otherMember } from './state.js';
import { renderChatList, upsertChat } from './chat-list.js';
import { editMessage, deleteMessage } from './composer.js';
import { applyReceipt } from './socket.js';

function statusLine(chat) {
  if (chat.type === 'saved') return 'Your notes';
  if (chat.type === 'group') return `${chat.members.length} members`;
  const other = state.users.get(otherMember(chat));
  if (!other) return '';
  if (other.online) return 'online';
  return other.lastSeenAt ? `last seen ${new Date(other.lastSeenAt).toLocaleString()}` : 'offline';
}

export function renderHeader() {
  const chat = state.chats.get(state.openChatId);
  if (!chat) return;
  $('chat-title').textContent = chat.title;
  $('chat-status').textContent = statusLine(chat);
  $('manage-group').hidden = chat.type !== 'group';
}

function messageElement(chat, m, pending) {
  const own = m.senderId === state.me.id || pending;
  const li = document.createElement('li');
  li.className =
    'message' +
    (own ? ' own' : '') +
    (m.deletedAt ? ' deleted' : '') +
    (pending ? ' pending' : '') +
    (pending?.failed ? ' failed' : '');
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
  if (m.editedAt && !m.deletedAt)
    meta.append(Object.assign(document.createElement('span'), { textContent: 'edited' }));
  if (m.createdAt) {
    meta.append(
      Object.assign(document.createElement('time'), {
        textContent: new Date(m.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      }),
    );
  }
  if (own) {
    const status = document.createElement('span');
    status.className = 'status';
    status.dataset.testid = 'status';
    const read = !pending && m.seq <= chat.readAllSeq;
    status.dataset.status = pending ? (pending.failed ? 'failed' : 'pending') : read ? 'read' : 'sent';
    status.textContent = pending ? (pending.failed ? '!' : '🕓') : read ? '✓✓' : '✓';
    status.title = pending
      ? pending.failed
        ? `Not sent: ${pending.failed}`
        : 'Sending…'
      : read
        ? 'Read'
        : 'Sent';
    meta.append(status);
    if (!pending && !m.deletedAt) {
      const actions = document.createElement('span');
      actions.className = 'actions';
      const edit = Object.assign(document.createElement('button'), {
        type: 'button',
        textContent: 'Edit',
        title: 'Edit',
      });
      edit.addEventListener('click', () => editMessage(m));
      const del = Object.assign(document.createElement('button'), {
        type: 'button',
        textContent: 'Delete',
        title: 'Delete',
      });
      del.addEventListener('click', () => deleteMessage(m));
      actions.append(edit, del);
      meta.append(actions);
    }
  }
  li.append(text, meta);
  return li;
}

let readObserver;
export function renderMessages({ keepScroll = false } = {}) {
  const chat = state.chats.get(state.openChatId);
  if (!chat) return;
  const list = $('messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const fromBottom = list.scrollHeight - list.scrollTop;
  const conv = conversation(chat.id);
  const stored = [...conv.bySeq.values()].sort((a, b) => a.seq - b.seq);
  const storedIds = new Set(stored.map((m) => m.clientMsgId + m.senderId));
  const pending = [...state.pending.values()].filter(
    (p) => p.chatId === chat.id && !storedIds.has(p.clientMsgId + state.me.id),
  );
  readObserver?.disconnect();
  list.replaceChildren(
    ...stored.map((m) => messageElement(chat, m, null)),
    ...pending.map((p) => messageElement(chat, p, p)),
  );
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
export function markRead(chatId, seq) {
  if (seq <= (state.markedRead.get(chatId) ?? 0)) return;
  state.markedRead.set(chatId, seq);
  clearTimeout(readTimers.get(chatId));
  readTimers.set(
    chatId,
    setTimeout(async () => {
      const ack = await state.socket
        ?.timeout(5000)
        .emitWithAck('message:read', { chatId, seq: state.markedRead.get(chatId) })
        .catch(() => null);
      if (ack?.ok) applyReceipt(ack.data);
    }, 150),
  );
}

export function renderTyping() {
  const typers = [...(state.typing.get(state.openChatId)?.keys() ?? [])].map(nameOf);
  $('typing').textContent = typers.length
    ? `${typers.join(', ')} ${typers.length > 1 ? 'are' : 'is'} typing…`
    : '';
}

export function renderAll() {
  renderChatList();
  if (state.openChatId) {
    renderHeader();
    renderMessages();
    renderTyping();
  }
}

export async function openChat(chatId) {
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

export async function loadOlder() {
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

export function closeChat() {
  state.openChatId = null;
  $('chat-view').hidden = true;
  $('no-chat').hidden = false;
  $('app').classList.remove('chat-open');
  history.replaceState(null, '', '/');
}
