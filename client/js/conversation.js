// The open conversation: header, messages (day separators, the unread divider, service lines), read marks
// from what is actually on screen, history paging, the "↓ N new" button, message actions and inline edit.
// The pane always shows state.openChatId, and the composer is bound to the same chat.
import { $, h, reconcile } from './dom.js';
import { onRender, invalidate } from './render.js';
import {
  state,
  conversation,
  sortedMessages,
  nameOf,
  otherMemberId,
  avatarIdOf,
  memberCount,
  isGroup,
  isMuted,
  supportsMute,
  contiguousEnd,
} from './state.js';
import * as sync from './sync.js';
import {
  avatarClass,
  initials,
  clockTime,
  dayKey,
  dayLabel,
  lastSeen,
  linkify,
  systemText,
  messageLength,
  formatCount,
} from './format.js';
import { openMenu, closeMenu } from './menu.js';
import { confirmAction } from './confirm.js';
import { describeError, isTransient } from './errors.js';
import { icon } from './icons.js';
import * as composer from './composer.js';
import { MAX_TEXT } from './composer.js';

const BOTTOM_SLACK = 40;
const LONG_PRESS_MS = 500;

/** What the pane shows of the open chat; reset whenever another chat is opened. */
const view = {
  chatId: null,
  /** 'initial' until the first unread is known, then 'divider' or 'bottom' once, then null. */
  scroll: null,
  editingId: null,
  editError: '',
  stick: false,
  atBottom: true,
  preparing: false,
  loadError: null,
  elements: new Map(), // key -> { sig, el }
  visibleSeqs: new Set(),
};

let readObserver = null;

// ---------- opening and closing ----------

export function openChat(chatId, { focus = true, url = 'push' } = {}) {
  closeMenu(false);
  if (view.chatId !== chatId) {
    leaveView();
    view.chatId = chatId;
    view.scroll = 'initial';
    $('messages').replaceChildren();
  }
  state.openChatId = chatId;
  state.notice = null;
  composer.bindTo(chatId);
  setUrl(chatId, url);
  invalidate('pane', 'chats', 'title');
  if (!state.chats.has(chatId)) {
    void sync.fetchChat(chatId).catch((err) => {
      view.loadError = err;
      invalidate('pane');
    });
  }
  void prepare(chatId);
  // After the render that shows the pane (queued first), so the composer can take the focus.
  if (focus) queueMicrotask(() => composer.focus());
}

/** Loads the newest page and finds the first unread, then positions the list once. */
async function prepare(chatId) {
  view.preparing = true;
  try {
    await sync.loadLatest(chatId);
    const first = await sync.findFirstUnread(chatId);
    if (view.chatId !== chatId) return;
    const conv = conversation(chatId);
    conv.dividerSeq ??= first;
    view.scroll = conv.dividerSeq ? 'divider' : 'bottom';
    view.loadError = null;
  } catch (err) {
    if (view.chatId !== chatId) return;
    view.loadError = err;
  } finally {
    if (view.chatId === chatId) view.preparing = false;
  }
  invalidate('messages');
}

function leaveView() {
  if (view.chatId) {
    const old = state.conversations.get(view.chatId);
    if (old) old.dividerSeq = null;
  }
  readObserver?.disconnect();
  view.elements.clear();
  view.visibleSeqs.clear();
  view.editingId = null;
  view.editError = '';
  view.loadError = null;
  view.stick = false;
  view.scroll = null;
  view.preparing = false;
  view.chatId = null;
}

export function closeChat({ url = 'replace' } = {}) {
  closeMenu(false);
  leaveView();
  state.openChatId = null;
  state.notice = null;
  composer.bindTo(null);
  setUrl(null, url);
  invalidate('pane', 'chats');
}

function setUrl(chatId, how) {
  if (how === 'none') return;
  const target = chatId ? `?chat=${chatId}` : '/';
  if (location.search === (chatId ? target : '')) return;
  if (how === 'push' && chatId && !history.state?.chat) history.pushState({ chat: chatId }, '', target);
  else history.replaceState(chatId ? { chat: chatId } : null, '', target);
}

/** Back from a chat on a phone: the browser's Back and the ‹ button do the same. */
export function back() {
  if (history.state?.chat) history.back();
  else closeChat();
}

export function bindHistory() {
  addEventListener('popstate', () => {
    const chatId = new URLSearchParams(location.search).get('chat');
    if (chatId) openChat(chatId, { url: 'none', focus: false });
    else closeChat({ url: 'none' });
  });
}

/** The message list should scroll to the bottom after the next render (the user just sent something). */
export function stickToBottom() {
  view.stick = true;
}

// ---------- the pane and its header ----------

function renderPane() {
  const chatId = state.openChatId;
  const notice = state.notice;
  $('no-chat').hidden = Boolean(chatId || notice);
  $('notice').hidden = !notice;
  $('chat-view').hidden = !chatId;
  $('app').classList.toggle('chat-open', Boolean(chatId || notice));
  if (notice) {
    // The chat's name in <bdi>, so a right-to-left name does not reorder the sentence around it.
    const name = h('bdi', {}, notice.title);
    $('notice-text').replaceChildren(
      ...(notice.reason === 'left'
        ? ['You left “', name, '”.']
        : notice.reason === 'removed'
          ? ['You were removed from “', name, '”. Its messages are no longer available to you.']
          : ['This chat is not available. It may have been deleted, or you are no longer a member.']),
    );
  }
  if (!chatId) return;
  renderHeader();
  renderMessages();
  renderTyping();
}

export function presenceText(u) {
  if (!u) return '';
  if (u.online === true) return 'online';
  if (u.online === false) return u.lastSeenAt ? lastSeen(u.lastSeenAt) : 'offline';
  return ''; // unknown: disconnected, or someone who shares no chat with us
}

function statusLine(chat) {
  if (chat.type === 'saved') return 'Notes to yourself';
  if (isGroup(chat)) {
    const n = memberCount(chat);
    return `${formatCount(n)} member${n === 1 ? '' : 's'}`;
  }
  if (state.connection === 'offline') return 'waiting for network…';
  if (state.connection !== 'online') return 'connecting…';
  return presenceText(state.users.get(otherMemberId(chat)));
}

function renderHeader() {
  const chat = state.chats.get(state.openChatId);
  const title = chat?.title ?? (view.loadError ? 'Chat unavailable' : 'Loading…');
  $('chat-title').textContent = title;
  $('chat-status').textContent = chat ? statusLine(chat) : '';
  const av = $('chat-avatar');
  av.className = chat ? avatarClass(avatarIdOf(chat)) : 'avatar';
  if (chat?.type === 'saved') av.replaceChildren(icon('bookmark'));
  else av.textContent = initials(title);
  const mute = $('mute-toggle');
  mute.hidden = !supportsMute(chat);
  if (!mute.hidden) {
    mute.setAttribute('aria-pressed', String(isMuted(chat)));
    mute.replaceChildren(icon(isMuted(chat) ? 'bellOff' : 'bell'));
    mute.title = isMuted(chat) ? 'Unmute notifications' : 'Mute notifications';
    mute.setAttribute('aria-label', mute.title);
  }
  $('chat-info-hint').textContent = chat?.type === 'group' ? ', group info' : ', chat info';
}

function renderTyping() {
  const typers = [...(state.typing.get(state.openChatId)?.keys() ?? [])];
  const names = typers.flatMap((id, i) => [i ? ', ' : '', h('bdi', {}, nameOf(id))]);
  $('typing').replaceChildren(
    ...(typers.length ? [...names, typers.length > 1 ? ' are typing…' : ' is typing…'] : []),
  );
}

// ---------- messages ----------

function cached(key, sig, build) {
  const hit = view.elements.get(key);
  if (hit && hit.sig === sig) return hit.el;
  const el = build();
  if (hit) readObserver?.unobserve(hit.el.querySelector('.read-edge') ?? hit.el);
  view.elements.set(key, { sig, el });
  const edge = el.querySelector('.read-edge');
  if (edge) readObserver?.observe(edge);
  return el;
}

const readEdge = (seq) =>
  h('span', { class: 'read-edge', 'aria-hidden': 'true', dataset: { seq: String(seq) } });

function statusOf(chat, m) {
  return m.read || m.seq <= chat.readAllSeq ? 'read' : 'sent';
}

function messageNode(chat, m, showSender) {
  const own = m.senderId === state.me.id;
  if (m.type === 'system') {
    const text = systemText(m.system, nameOf, state.me.id);
    return cached(`m:${m.seq}`, `sys|${text}`, () =>
      h(
        'div',
        { class: 'system-line', dataset: { testid: 'system', seq: String(m.seq) } },
        h('span', { dir: 'auto' }, text),
        readEdge(m.seq),
      ),
    );
  }
  const status = own ? statusOf(chat, m) : '';
  const editing = view.editingId === m.id && !m.deletedAt;
  const sender = showSender ? nameOf(m.senderId) : '';
  const sig = [
    m.id,
    m.text,
    m.editedAt,
    m.deletedAt,
    status,
    sender,
    editing,
    editing && view.editError,
  ].join('|');
  return cached(`m:${m.seq}`, sig, () => {
    const el = h('article', {
      class: `message${own ? ' own' : ''}${m.deletedAt ? ' deleted' : ''}${editing ? ' editing' : ''}`,
      tabIndex: -1,
      dataset: { testid: 'message', seq: String(m.seq), id: m.id },
    });
    if (sender) el.append(h('div', { class: 'sender', dir: 'auto' }, sender));
    if (editing) el.append(editForm(m));
    else if (m.deletedAt) el.append(h('div', { class: 'text' }, 'Message deleted'));
    else el.append(h('div', { class: 'text', dir: 'auto' }, ...linkify(m.text ?? '')));
    const meta = h('div', { class: 'meta' });
    if (m.editedAt && !m.deletedAt) meta.append(h('span', { class: 'edited' }, 'edited'));
    meta.append(
      h(
        'time',
        { dateTime: m.createdAt, title: new Date(m.createdAt).toLocaleString() },
        clockTime(m.createdAt),
      ),
    );
    if (own) {
      meta.append(
        h(
          'span',
          {
            class: 'status',
            dataset: { testid: 'status', status },
            title: status === 'read' ? 'Read' : 'Sent',
            'aria-label': status === 'read' ? 'Read' : 'Sent',
          },
          status === 'read' ? '✓✓' : '✓',
        ),
      );
    }
    el.append(meta);
    if (!m.deletedAt && !editing) el.append(moreButton());
    if (!own) el.append(readEdge(m.seq));
    return el;
  });
}

function pendingNode(p) {
  const offline = state.connection !== 'online';
  const label = p.failed ? `Not sent: ${p.failed}` : offline ? 'Waiting for the network' : 'Sending…';
  const sig = [p.text, p.failed, offline].join('|');
  return cached(`p:${p.clientMsgId}`, sig, () =>
    h(
      'article',
      {
        class: `message own pending${p.failed ? ' failed' : ''}`,
        tabIndex: -1,
        dataset: { testid: 'message', pending: p.clientMsgId },
      },
      h('div', { class: 'text', dir: 'auto' }, ...linkify(p.text)),
      p.failed ? h('div', { class: 'failure', role: 'alert' }, `Not sent: ${p.failed}`) : null,
      h(
        'div',
        { class: 'meta' },
        h('time', { dateTime: p.createdAt }, clockTime(p.createdAt)),
        h(
          'span',
          {
            class: 'status',
            dataset: { testid: 'status', status: p.failed ? 'failed' : 'pending' },
            title: label,
            'aria-label': label,
          },
          p.failed ? '!' : icon('clock'),
        ),
      ),
      moreButton(),
    ),
  );
}

const moreButton = () =>
  h(
    'button',
    { type: 'button', class: 'more', tabIndex: -1, 'aria-label': 'Message actions', 'aria-haspopup': 'menu' },
    '⋯',
  );

function editForm(m) {
  const input = h('textarea', {
    class: 'edit-input',
    dir: 'auto',
    rows: 2,
    'aria-label': 'Edit message',
    value: m.text ?? '',
  });
  input.defaultValue = m.text ?? '';
  input.value = m.text ?? '';
  const error = h('p', { class: 'form-error', role: 'alert' }, view.editError);
  const save = async () => {
    const text = input.value.trim();
    if (!text || text === m.text) return stopEdit();
    if (messageLength(text) > MAX_TEXT) {
      view.editError = `Too long: ${formatCount(messageLength(text))} characters, at most ${formatCount(MAX_TEXT)}.`;
      error.textContent = view.editError;
      return;
    }
    try {
      await sync.editMessage(m, text);
      stopEdit();
    } catch (err) {
      error.textContent = describeError(err);
    }
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void save();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      stopEdit();
    }
  });
  const autosize = () => {
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight + 2}px`;
  };
  input.addEventListener('input', autosize);
  queueMicrotask(() => {
    autosize();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  });
  return h(
    'form',
    {
      class: 'edit-form',
      onsubmit: (e) => {
        e.preventDefault();
        void save();
      },
    },
    input,
    error,
    h(
      'div',
      { class: 'edit-actions' },
      h('button', { type: 'button', onclick: () => stopEdit() }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Save'),
    ),
  );
}

function startEdit(m) {
  view.editingId = m.id;
  view.editError = '';
  invalidate('messages');
}

function stopEdit() {
  const id = view.editingId;
  view.editingId = null;
  view.editError = '';
  invalidate('messages');
  queueMicrotask(() =>
    $('messages')
      .querySelector(`[data-id="${CSS.escape(id ?? '')}"]`)
      ?.focus(),
  );
}

function placeholder(key, text, extra = '') {
  return cached(key, text, () => h('p', { class: `list-note ${extra}`.trim(), role: 'status' }, text));
}

function renderMessages() {
  const chatId = state.openChatId;
  const chat = state.chats.get(chatId);
  const list = $('messages');
  if (!chatId) return;
  const conv = conversation(chatId);
  // Loaded by someone else (the catch-up after a reconnect) before the pane could position itself.
  if (conv.loaded && view.scroll === 'initial' && !view.preparing) void prepare(chatId);
  const stored = conv.loaded ? sortedMessages(conv).filter((m) => m.seq > conv.base) : [];
  const sent = new Set(stored.filter((m) => m.senderId === state.me.id).map((m) => m.clientMsgId));
  const pending = [...state.pending.values()]
    .filter((p) => p.chatId === chatId && !sent.has(p.clientMsgId))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));

  const nodes = [];
  if (!conv.loaded) {
    const offline = view.loadError && isTransient(view.loadError);
    nodes.push(
      placeholder(
        'loading',
        view.loadError
          ? offline
            ? 'Messages will appear when you are back online.'
            : describeError(view.loadError)
          : 'Loading messages…',
      ),
    );
  } else if (conv.hasOlder) {
    nodes.push(placeholder('older', 'Loading earlier messages…', 'older'));
  } else if (!stored.length && !pending.length) {
    nodes.push(
      placeholder(
        'empty',
        chat?.type === 'saved'
          ? 'Keep notes, links and drafts here. Only you can see them.'
          : 'No messages yet. Say hello!',
      ),
    );
  }
  let day = null;
  let prevSender = null;
  let dividerPlaced = false;
  const pushDay = (iso) => {
    const key = dayKey(iso);
    if (key === day) return;
    day = key;
    prevSender = null;
    const label = dayLabel(iso);
    nodes.push(
      cached(`day:${key}`, label, () =>
        h('div', { class: 'day-separator', role: 'separator', 'aria-label': label }, h('span', {}, label)),
      ),
    );
  };
  for (const m of chat ? stored : []) {
    pushDay(m.createdAt);
    if (conv.dividerSeq && !dividerPlaced && m.seq >= conv.dividerSeq) {
      dividerPlaced = true;
      prevSender = null;
      nodes.push(
        cached('unread', 'unread', () =>
          h(
            'div',
            {
              class: 'unread-divider',
              role: 'separator',
              'aria-label': 'Unread messages',
              dataset: { testid: 'unread-divider' },
            },
            h('span', {}, 'Unread messages'),
          ),
        ),
      );
    }
    const showSender =
      isGroup(chat) && m.type !== 'system' && m.senderId !== state.me.id && m.senderId !== prevSender;
    nodes.push(messageNode(chat, m, showSender));
    prevSender = m.type === 'system' ? null : m.senderId;
  }
  for (const p of pending) {
    pushDay(p.createdAt);
    nodes.push(pendingNode(p));
  }

  const wasAtBottom = atBottom(list);
  const anchor = view.scroll ? null : firstVisible(list);
  const anchorTop = anchor?.getBoundingClientRect().top ?? 0;
  list.setAttribute('aria-busy', String(!conv.loaded));
  reconcile(list, nodes);
  // Forget elements that are no longer shown.
  const shown = new Set(nodes);
  for (const [key, { el }] of view.elements) {
    if (!shown.has(el)) {
      const edge = el.querySelector('.read-edge');
      if (edge) {
        readObserver?.unobserve(edge);
        view.visibleSeqs.delete(Number(edge.dataset.seq));
      }
      view.elements.delete(key);
    }
  }

  if (view.scroll === 'divider') {
    const divider = view.elements.get('unread')?.el;
    list.scrollTop = divider ? Math.max(0, divider.offsetTop - 12) : list.scrollHeight;
    view.scroll = null;
    measureVisible();
    queueMicrotask(considerRead);
  } else if (view.scroll === 'bottom') {
    list.scrollTop = list.scrollHeight;
    view.scroll = null;
    measureVisible();
    queueMicrotask(considerRead);
  } else if (view.scroll === 'initial' || view.stick || wasAtBottom) {
    list.scrollTop = list.scrollHeight;
    view.stick = false;
  } else if (anchor?.isConnected) {
    list.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
  }
  view.atBottom = atBottom(list);
  updateJump();
  maybeLoadOlder();
}

const atBottom = (list) => list.scrollHeight - list.scrollTop - list.clientHeight < BOTTOM_SLACK;

function firstVisible(list) {
  const top = list.getBoundingClientRect().top;
  for (const child of list.children) if (child.getBoundingClientRect().bottom > top) return child;
  return null;
}

function maybeLoadOlder() {
  const list = $('messages');
  const conv = state.conversations.get(view.chatId);
  if (!conv?.loaded || !conv.hasOlder || view.scroll || list.scrollTop > 300) return;
  const chatId = view.chatId;
  void sync.loadOlder(chatId).catch(() => undefined);
}

// ---------- read marks: what is actually on screen ----------

function createReadObserver() {
  readObserver = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        const seq = Number(e.target.dataset.seq);
        if (e.isIntersecting) view.visibleSeqs.add(seq);
        else view.visibleSeqs.delete(seq);
      }
      considerRead();
    },
    // The observed element is a 1 px strip at the message's bottom edge: however tall the message, it
    // counts as read once its end has been on screen.
    { root: $('messages'), threshold: 0 },
  );
}

/**
 * What is on screen right after a jump, measured: the observer reports a jump a frame later, and until then
 * still holds what the render before it showed (the newest messages, at the bottom), which would mark them read.
 */
function measureVisible() {
  const { top, bottom } = $('messages').getBoundingClientRect();
  view.visibleSeqs.clear();
  for (const edge of $('messages').querySelectorAll('.read-edge')) {
    const r = edge.getBoundingClientRect();
    if (r.bottom >= top && r.top <= bottom) view.visibleSeqs.add(Number(edge.dataset.seq));
  }
}

function considerRead() {
  const chatId = view.chatId;
  if (!chatId || view.scroll || document.visibilityState !== 'visible') return;
  const conv = state.conversations.get(chatId);
  if (!conv?.loaded) return;
  let seq = Math.max(0, ...view.visibleSeqs);
  if (atBottom($('messages'))) seq = Math.max(seq, contiguousEnd(conv));
  if (seq > 0) sync.markRead(chatId, seq);
}

function updateJump() {
  const list = $('messages');
  const button = $('jump-down');
  const chat = state.chats.get(state.openChatId);
  const unread = chat?.unreadCount ?? 0;
  const far = list.scrollHeight - list.scrollTop - list.clientHeight > Math.max(200, list.clientHeight / 2);
  button.hidden = atBottom(list) || !(far || unread > 0);
  $('jump-count').textContent = unread > 0 ? `${formatCount(unread)} new` : '';
  button.setAttribute(
    'aria-label',
    unread > 0
      ? `${unread} new message${unread === 1 ? '' : 's'}: scroll to the latest`
      : 'Scroll to the latest message',
  );
}

// ---------- message actions ----------

function messageFor(el) {
  const conv = state.conversations.get(view.chatId);
  if (el.dataset.pending) return { pending: state.pending.get(el.dataset.pending) };
  return { message: conv?.bySeq.get(Number(el.dataset.seq)) };
}

function actionsFor(el) {
  const { message: m, pending: p } = messageFor(el);
  const items = [];
  const text = m?.text ?? p?.text;
  if (text && !m?.deletedAt)
    items.push({ id: 'copy', label: 'Copy text', run: () => void navigator.clipboard?.writeText(text) });
  if (p) {
    if (p.failed)
      items.push({ id: 'retry', label: 'Try again', run: () => sync.retryPending(p.clientMsgId) });
    if (p.failed || state.connection !== 'online')
      items.push({
        id: 'discard',
        label: "Don't send",
        danger: true,
        run: () => sync.discardPending(p.clientMsgId),
      });
  }
  if (m && m.senderId === state.me.id && !m.deletedAt && m.type !== 'system') {
    items.push({ id: 'edit', label: 'Edit', run: () => startEdit(m) });
    items.push({ id: 'delete', label: 'Delete', danger: true, run: () => void confirmDelete(m) });
  }
  return items;
}

function showActions(el, at) {
  const items = actionsFor(el);
  if (!items.length) return;
  const rect = el.getBoundingClientRect();
  const { x, y } = at ?? { x: rect.right - 180, y: rect.bottom };
  openMenu({ items, x, y, anchor: el, label: 'Message actions' });
}

async function confirmDelete(m) {
  const yes = await confirmAction({
    title: 'Delete this message?',
    text: 'It will be deleted for everyone in the chat.',
    action: 'Delete',
  });
  if (!yes) return;
  try {
    await sync.deleteMessage(m);
  } catch (err) {
    composer.showError(describeError(err));
  }
}

function bindMessageList() {
  const list = $('messages');
  createReadObserver();
  // The list gets shorter when the composer grows (or the keyboard opens): stay at the bottom if there.
  new ResizeObserver(() => {
    if (view.atBottom) list.scrollTop = list.scrollHeight;
  }).observe(list);
  list.addEventListener('scroll', () => {
    view.atBottom = atBottom(list);
    closeMenu(false);
    maybeLoadOlder();
    updateJump();
    if (atBottom(list)) considerRead();
  });
  list.addEventListener('contextmenu', (e) => {
    const el = e.target.closest('[data-testid=message]');
    if (!el || e.target.closest('a, textarea')) return;
    e.preventDefault();
    el.focus();
    showActions(el, { x: e.clientX, y: e.clientY });
  });
  list.addEventListener('click', (e) => {
    const more = e.target.closest('.more');
    if (!more) return;
    const el = more.closest('[data-testid=message]');
    const r = more.getBoundingClientRect();
    showActions(el, { x: r.left - 150, y: r.bottom });
  });
  // Long press on touch screens (iOS sends no contextmenu event).
  let press = null;
  list.addEventListener('pointerdown', (e) => {
    if (e.pointerType !== 'touch') return;
    const el = e.target.closest('[data-testid=message]');
    if (!el || e.target.closest('a, textarea, button')) return;
    const start = { x: e.clientX, y: e.clientY };
    press = { start, timer: setTimeout(() => showActions(el, start), LONG_PRESS_MS) };
  });
  const cancelPress = (e) => {
    if (!press) return;
    if (e.type === 'pointermove' && Math.hypot(e.clientX - press.start.x, e.clientY - press.start.y) < 10)
      return;
    clearTimeout(press.timer);
    press = null;
  };
  for (const type of ['pointerup', 'pointercancel', 'pointermove']) list.addEventListener(type, cancelPress);

  list.addEventListener('keydown', (e) => {
    if (e.target.closest('textarea, .edit-form')) return;
    const items = [...list.querySelectorAll('[data-testid=message]')];
    const current = e.target.closest('[data-testid=message]');
    const index = items.indexOf(current);
    let next = null;
    if (e.key === 'ArrowUp') next = index < 0 ? items[items.length - 1] : items[Math.max(0, index - 1)];
    else if (e.key === 'ArrowDown') next = index < 0 ? items[items.length - 1] : items[index + 1];
    else if (e.key === 'Home') next = items[0];
    else if (e.key === 'End') next = items[items.length - 1];
    else if (current && (e.key === 'Enter' || e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey))) {
      e.preventDefault();
      return showActions(current);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      return composer.focus();
    }
    if (next) {
      e.preventDefault();
      next.focus();
      next.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'ArrowDown' && index === items.length - 1) {
      e.preventDefault();
      composer.focus();
    }
  });
  $('jump-down').addEventListener('click', () => {
    list.scrollTop = list.scrollHeight;
    considerRead();
    composer.focus();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') considerRead();
  });
}

export function bindConversation({ onInfo }) {
  bindMessageList();
  $('back').addEventListener('click', back);
  $('notice-back').addEventListener('click', () => {
    state.notice = null;
    closeChat();
  });
  $('chat-info').addEventListener('click', () => state.openChatId && onInfo(state.openChatId));
  $('mute-toggle').addEventListener('click', async () => {
    const chat = state.chats.get(state.openChatId);
    if (!chat) return;
    try {
      await sync.setMuted(chat, !isMuted(chat));
    } catch (err) {
      composer.showError(describeError(err));
    }
  });
  onRender('pane', renderPane);
  onRender('header', renderHeader);
  onRender('messages', renderMessages);
  onRender('typing', renderTyping);
  // "last seen 2 minutes ago" and day labels stay true as time passes.
  setInterval(() => invalidate('header', 'messages', 'dialogs'), 30_000);
}
