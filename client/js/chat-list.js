// The sidebar: the chat list (newest activity first, previews, times, unread badges, presence) and the
// search box over chats and people. Both lists follow the listbox pattern (listbox.js).
import { $, h, reconcile } from './dom.js';
import { onRender, invalidate } from './render.js';
import {
  state,
  sortedChats,
  activityAt,
  nameOf,
  otherMemberId,
  avatarIdOf,
  isMuted,
  lastPending,
} from './state.js';
import { avatarClass, initials, listTime, systemText } from './format.js';
import { listbox, setRoving, focusFirstOption } from './listbox.js';
import { describeError } from './errors.js';
import * as sync from './sync.js';
import { icon } from './icons.js';

const SEARCH_PEOPLE = 8;
let actions = { openChat: () => undefined, openPeople: () => undefined };
const cache = new Map(); // chatId -> { sig, el }
const search = { query: '', people: [], total: 0, error: '', timer: null, seq: 0 };

const TOAST_MS = 6000;
let toastTimer;

/** A passing word at the bottom of the page (state.toast), gone after a few seconds. */
function renderToast() {
  const el = $('toast');
  const toast = state.toast;
  el.hidden = !toast;
  if (!toast) return el.replaceChildren();
  // The name in <bdi>, so a right-to-left name does not reorder the sentence around it.
  el.replaceChildren('You were removed from “', h('bdi', {}, toast.title), '”.');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    state.toast = null;
    renderToast();
  }, TOAST_MS);
}

export function avatarFor(chat) {
  const other = state.users.get(otherMemberId(chat));
  const online = other?.online === true && state.connection === 'online';
  return h(
    'span',
    { class: `${avatarClass(avatarIdOf(chat))}${online ? ' online' : ''}`, 'aria-hidden': 'true' },
    chat.type === 'saved' ? icon('bookmark') : initials(chat.title),
  );
}

function previewOf(chat) {
  const typers = [...(state.typing.get(chat.id)?.keys() ?? [])];
  if (typers.length)
    return { text: chat.type === 'group' ? `${nameOf(typers[0])} is typing…` : 'typing…', kind: 'typing' };
  const draft = state.openChatId !== chat.id ? state.drafts.get(chat.id) : null;
  if (draft?.trim()) return { label: 'Draft: ', text: draft.trim(), kind: 'draft' };
  const pending = lastPending(chat.id);
  if (pending && (!chat.lastMessage || pending.createdAt >= chat.lastMessage.createdAt))
    return {
      text: `${pending.failed ? '⚠ Not sent: ' : ''}${pending.text}`,
      kind: pending.failed ? 'failed' : 'pending',
    };
  const m = chat.lastMessage;
  if (!m) return { text: chat.type === 'saved' ? 'Notes to yourself' : 'No messages yet', kind: '' };
  if (m.type === 'system') return { text: systemText(m.system, nameOf, state.me.id), kind: 'system' };
  const who =
    chat.type === 'saved'
      ? ''
      : m.senderId === state.me.id
        ? 'You: '
        : chat.type === 'group'
          ? `${nameOf(m.senderId)}: `
          : '';
  return {
    text: who + (m.deletedAt ? 'Message deleted' : (m.text ?? '')),
    kind: m.deletedAt ? 'deleted' : '',
  };
}

function chatItem(chat) {
  const selected = chat.id === state.openChatId;
  const preview = previewOf(chat);
  const other = state.users.get(otherMemberId(chat));
  const online = other?.online === true && state.connection === 'online';
  const muted = isMuted(chat);
  const when = activityAt(chat);
  const sig = [
    chat.title,
    selected,
    preview.text,
    preview.kind,
    online,
    muted,
    chat.unreadCount,
    when,
    listTime(when),
  ].join('|');
  const hit = cache.get(chat.id);
  if (hit?.sig === sig) return hit.el;
  const el = h(
    'div',
    {
      role: 'option',
      id: `chat-${chat.id}`,
      class: `chat-item${selected ? ' active' : ''}`,
      'aria-selected': String(selected),
      tabIndex: -1,
      dataset: { testid: 'chat-item', chatId: chat.id },
    },
    avatarFor(chat),
    h(
      'span',
      { class: 'chat-main' },
      h(
        'span',
        { class: 'chat-top' },
        h('span', { class: 'title', dir: 'auto' }, chat.title),
        online ? h('span', { class: 'visually-hidden' }, ', online') : null,
        muted
          ? h(
              'span',
              { class: 'muted-icon', title: 'Muted' },
              icon('bellOff'),
              h('span', { class: 'visually-hidden' }, ', muted'),
            )
          : null,
        h('time', { class: 'when', dateTime: when }, listTime(when)),
      ),
      h(
        'span',
        { class: 'chat-bottom' },
        h(
          'span',
          { class: `preview ${preview.kind}`.trim(), dir: 'auto' },
          preview.label ? h('span', { class: 'preview-label' }, preview.label) : null,
          preview.text,
        ),
        chat.unreadCount > 0
          ? h(
              'span',
              {
                class: `badge${muted ? ' muted' : ''}`,
                dataset: { testid: 'unread' },
                'aria-label': `${chat.unreadCount} unread`,
              },
              String(chat.unreadCount),
            )
          : null,
      ),
    ),
  );
  cache.set(chat.id, { sig, el });
  return el;
}

function renderChatList() {
  const list = $('chat-list');
  const focusedId = list.contains(document.activeElement) ? document.activeElement.dataset.chatId : null;
  const chats = sortedChats();
  for (const id of cache.keys()) if (!state.chats.has(id)) cache.delete(id);
  reconcile(list, chats.map(chatItem));
  setRoving(list, focusedId ? cache.get(focusedId)?.el : null);
  if (focusedId && document.activeElement !== cache.get(focusedId)?.el) cache.get(focusedId)?.el.focus();
  $('chat-list-hint').hidden = chats.some((c) => c.type !== 'saved');
  $('chat-list').hidden = Boolean(search.query);
}

// ---------- search over chats and people ----------

function matches(text, q) {
  return String(text ?? '')
    .toLowerCase()
    .includes(q);
}

function searchResults() {
  const q = search.query.toLowerCase();
  const chats = sortedChats().filter((c) => matches(c.title, q));
  const withChat = new Set(chats.map(otherMemberId).filter(Boolean));
  const people = search.people.filter((u) => !withChat.has(u.id) && u.id !== state.me.id);
  const meMatches = search.people.some((u) => u.id === state.me.id);
  const saved = [...state.chats.values()].find((c) => c.type === 'saved');
  if (meMatches && saved && !chats.includes(saved)) chats.push(saved);
  return { chats, people };
}

function renderSearch() {
  const box = $('search-results');
  box.hidden = !search.query;
  $('chat-list').hidden = Boolean(search.query);
  if (!search.query) return box.replaceChildren();
  const { chats, people } = searchResults();
  const nodes = [
    ...chats.map((chat) =>
      h(
        'div',
        {
          role: 'option',
          tabIndex: -1,
          class: 'result',
          'aria-selected': 'false',
          dataset: { testid: 'search-result', kind: 'chat', chatId: chat.id },
        },
        avatarFor(chat),
        h(
          'span',
          { class: 'result-main' },
          h('span', { class: 'title', dir: 'auto' }, chat.title),
          h(
            'span',
            { class: 'sub' },
            chat.type === 'group' ? 'Group' : chat.type === 'saved' ? 'Your notes' : 'Chat',
          ),
        ),
      ),
    ),
    ...people.map((u) => personOption(u)),
  ];
  if (!nodes.length)
    nodes.push(
      h(
        'p',
        { class: 'list-note', role: 'status' },
        search.error || (search.loading ? 'Searching…' : `Nobody found for “${search.query}”.`),
      ),
    );
  reconcile(box, nodes);
  setRoving(box);
}

export function personOption(u, extra = {}) {
  return h(
    'div',
    {
      role: 'option',
      tabIndex: -1,
      class: 'result',
      'aria-selected': 'false',
      dataset: { testid: 'search-result', kind: 'user', userId: u.id },
      ...extra,
    },
    h('span', { class: avatarClass(u.id), 'aria-hidden': 'true' }, initials(u.displayName)),
    h(
      'span',
      { class: 'result-main' },
      h(
        'span',
        { class: 'title', dir: 'auto' },
        u.id === state.me.id ? `${u.displayName} (you)` : u.displayName,
      ),
      h('span', { class: 'sub', dir: 'auto' }, `@${u.username}`),
    ),
  );
}

async function runSearch() {
  const query = search.query;
  const seq = ++search.seq;
  search.loading = true;
  search.error = '';
  invalidate('search');
  try {
    const page = await sync.searchUsers(query, SEARCH_PEOPLE);
    if (seq !== search.seq) return;
    search.people = page.items;
    search.total = page.total;
  } catch (err) {
    if (seq !== search.seq) return;
    search.people = [];
    search.error = describeError(err);
  }
  search.loading = false;
  invalidate('search');
}

function clearSearch() {
  const input = $('search');
  input.value = '';
  search.query = '';
  search.people = [];
  invalidate('search', 'chats');
  input.focus();
}

async function activateResult(option) {
  if (!option) return;
  const input = $('search');
  try {
    let chatId = option.dataset.chatId;
    if (option.dataset.kind === 'user') chatId = (await sync.openDirect(option.dataset.userId)).id;
    input.value = '';
    search.query = '';
    search.people = [];
    invalidate('search', 'chats');
    actions.openChat(chatId);
  } catch (err) {
    search.error = describeError(err);
    invalidate('search');
  }
}

export function bindChatList(on) {
  actions = { ...actions, ...on };
  listbox($('chat-list'), { onActivate: (option) => actions.openChat(option.dataset.chatId) });
  listbox($('search-results'), {
    onActivate: (option) => void activateResult(option),
    onLeaveTop: () => $('search').focus(),
    onEscape: clearSearch,
  });
  const input = $('search');
  input.addEventListener('input', () => {
    search.query = input.value.trim();
    clearTimeout(search.timer);
    if (!search.query) return clearSearch();
    invalidate('search');
    search.timer = setTimeout(() => void runSearch(), 200);
  });
  input.addEventListener('keydown', async (e) => {
    if (e.key === 'Escape' && input.value) {
      e.preventDefault();
      clearSearch();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      focusFirstOption(search.query ? $('search-results') : $('chat-list'));
    } else if (e.key === 'Enter' && search.query) {
      e.preventDefault();
      // Enter opens the first result; if people are still being looked up, wait for them first.
      clearTimeout(search.timer);
      if (search.loading || !search.people.length) await runSearch();
      void activateResult($('search-results').querySelector('[role=option]'));
    }
  });
  $('chat-list-find').addEventListener('click', () => actions.openPeople());
  onRender('chats', renderChatList);
  onRender('search', renderSearch);
  onRender('toast', renderToast);
}
