// Finding people: the directory ("New chat": every user, paged and searchable) and the people picker
// used by the group dialogs. Results are listbox options (listbox.js).
import { $, h, reconcile } from './dom.js';
import { onRender, invalidate } from './render.js';
import { state } from './state.js';
import * as sync from './sync.js';
import { listbox, setRoving, focusFirstOption } from './listbox.js';
import { personOption } from './chat-list.js';
import { describeError } from './errors.js';
import { presenceText } from './conversation.js';

const PAGE = 20;
const directory = { query: '', items: [], total: 0, loading: false, error: '', seq: 0, timer: null };
let openChatAction = () => undefined;

export function openPeople() {
  directory.query = '';
  directory.items = [];
  directory.total = 0;
  $('people-search').value = '';
  $('people-dialog').showModal();
  $('people-search').focus();
  void loadDirectory(true);
}

async function loadDirectory(reset) {
  const seq = ++directory.seq;
  directory.loading = true;
  directory.error = '';
  invalidate('dialogs');
  try {
    const offset = reset ? 0 : directory.items.length;
    const page = await sync.searchUsers(directory.query, PAGE, offset);
    if (seq !== directory.seq) return;
    directory.items = reset ? page.items : [...directory.items, ...page.items];
    directory.total = page.total;
  } catch (err) {
    if (seq !== directory.seq) return;
    directory.error = describeError(err);
  }
  directory.loading = false;
  invalidate('dialogs');
}

function renderDirectory() {
  if (!$('people-dialog').open) return;
  const list = $('people-list');
  const focusedId = list.contains(document.activeElement) ? document.activeElement.dataset.userId : null;
  const nodes = directory.items.map((u) => {
    const option = personOption(u);
    const presence = u.id === state.me.id ? 'Saved messages' : presenceText(state.users.get(u.id) ?? u);
    if (presence) option.querySelector('.sub').append(` · ${presence}`);
    return option;
  });
  reconcile(list, nodes);
  setRoving(list, focusedId ? nodes.find((n) => n.dataset.userId === focusedId) : null);
  if (focusedId) nodes.find((n) => n.dataset.userId === focusedId)?.focus();
  const shown = directory.items.length;
  $('people-count').textContent = directory.error
    ? directory.error
    : directory.loading && !shown
      ? 'Loading…'
      : directory.total === 0
        ? directory.query
          ? `Nobody found for “${directory.query}”.`
          : 'Nobody here yet.'
        : `${directory.total} ${directory.total === 1 ? 'person' : 'people'}${directory.query ? ` matching “${directory.query}”` : ''}`;
  $('people-more').hidden = shown >= directory.total || Boolean(directory.error);
  $('people-more').disabled = directory.loading;
}

async function startChat(option) {
  try {
    const chat = await sync.openDirect(option.dataset.userId);
    $('people-dialog').close();
    openChatAction(chat.id);
  } catch (err) {
    directory.error = describeError(err);
    invalidate('dialogs');
  }
}

export function bindPeople({ openChat }) {
  openChatAction = openChat;
  const input = $('people-search');
  input.addEventListener('input', () => {
    directory.query = input.value.trim();
    clearTimeout(directory.timer);
    directory.timer = setTimeout(() => void loadDirectory(true), 200);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      focusFirstOption($('people-list'));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const first = $('people-list').querySelector('[role=option]');
      if (first) void startChat(first);
    }
  });
  listbox($('people-list'), { onActivate: (o) => void startChat(o), onLeaveTop: () => input.focus() });
  $('people-more').addEventListener('click', () => void loadDirectory(false));
  $('people-close').addEventListener('click', () => $('people-dialog').close());
  onRender('dialogs', renderDirectory);
}

/**
 * A search box with a listbox of people under it. `onPick(user)` runs for a click or Enter; `exclude(id)`
 * hides people who are already chosen or already members.
 */
export function peoplePicker(input, results, { onPick, exclude = () => false }) {
  const picker = { items: [], seq: 0, timer: null, error: '' };
  const render = () => {
    results.hidden = !input.value.trim();
    const people = picker.items.filter((u) => u.id !== state.me.id && !exclude(u.id));
    const nodes = people.map((u) => personOption(u));
    if (!nodes.length && input.value.trim())
      nodes.push(h('p', { class: 'list-note', role: 'status' }, picker.error || 'Nobody found.'));
    reconcile(results, nodes);
    setRoving(results);
  };
  const run = async () => {
    const seq = ++picker.seq;
    try {
      const page = await sync.searchUsers(input.value.trim(), 8);
      if (seq !== picker.seq) return;
      picker.items = page.items;
      picker.error = '';
    } catch (err) {
      picker.error = describeError(err);
    }
    render();
  };
  const pick = (option) => {
    const u = picker.items.find((p) => p.id === option?.dataset.userId);
    if (!u) return;
    input.value = '';
    picker.items = [];
    render();
    input.focus();
    onPick(u);
  };
  input.addEventListener('input', () => {
    clearTimeout(picker.timer);
    if (!input.value.trim()) {
      picker.items = [];
      return render();
    }
    picker.timer = setTimeout(() => void run(), 200);
  });
  input.addEventListener('keydown', async (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      focusFirstOption(results);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(picker.timer);
      if (input.value.trim()) await run();
      pick(results.querySelector('[role=option]'));
    }
  });
  listbox(results, { onActivate: pick, onLeaveTop: () => input.focus() });
  return {
    reset() {
      input.value = '';
      picker.items = [];
      render();
    },
    render,
  };
}
