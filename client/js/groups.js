// Groups: the "New group" dialog and the info panel of any chat (for groups: rename, members with roles,
// add/remove/leave, live member count; mute where the server supports it).
import { $, h, reconcile } from './dom.js';
import { onRender } from './render.js';
import {
  state,
  nameOf,
  ensureUser,
  memberCount,
  membersOf,
  myRole,
  canManage,
  isMuted,
  supportsMute,
  otherMemberId,
  avatarIdOf,
} from './state.js';
import * as sync from './sync.js';
import { ApiError, describeError, fieldErrors } from './errors.js';
import { avatarClass, initials, listNames, formatCount } from './format.js';
import { confirmAction } from './confirm.js';
import { peoplePicker } from './people.js';
import { presenceText } from './conversation.js';
import { icon } from './icons.js';

let openChatAction = () => undefined;

/** "Carol only accepts group invitations from contacts." from a GROUP_INVITE_FORBIDDEN answer. */
async function inviteRefusal(err) {
  const ids = err.details?.userIds ?? [];
  await Promise.all(ids.map((id) => ensureUser(id)));
  const names = ids.map((id) => nameOf(id));
  if (!names.length) return 'Some of these people only accept group invitations from contacts.';
  return `${listNames(names)} ${names.length === 1 ? 'only accepts' : 'only accept'} group invitations from contacts.`;
}

async function errorText(err) {
  if (err instanceof ApiError && err.code === 'GROUP_INVITE_FORBIDDEN') return inviteRefusal(err);
  return describeError(err);
}

// ---------- new group ----------

const draft = { selected: new Map() };
let createPicker;

function renderSelected() {
  $('group-selected').replaceChildren(
    ...[...draft.selected.values()].map((u) =>
      h(
        'li',
        { class: 'chip' },
        h('span', { dir: 'auto' }, u.displayName),
        h(
          'button',
          {
            type: 'button',
            class: 'chip-remove',
            'aria-label': `Remove ${u.displayName}`,
            onclick: () => {
              draft.selected.delete(u.id);
              renderSelected();
              $('group-search').focus();
            },
          },
          '✕',
        ),
      ),
    ),
  );
  $('group-selected-label').textContent = draft.selected.size
    ? `${draft.selected.size} ${draft.selected.size === 1 ? 'person' : 'people'} chosen`
    : 'Nobody chosen yet: you can also add people later.';
  createPicker.render();
}

export function openNewGroup() {
  draft.selected.clear();
  $('group-name').value = '';
  $('group-form')
    .querySelectorAll('[data-error-for]')
    .forEach((el) => (el.textContent = ''));
  createPicker.reset();
  renderSelected();
  $('group-dialog').showModal();
  $('group-name').focus();
}

async function createGroup() {
  const form = $('group-form');
  form.querySelectorAll('[data-error-for]').forEach((el) => (el.textContent = ''));
  const name = $('group-name').value.trim();
  if (!name) {
    form.querySelector('[data-error-for=name]').textContent = 'Give the group a name.';
    return $('group-name').focus();
  }
  $('group-save').disabled = true;
  try {
    const group = await sync.createGroup(name, [...draft.selected.keys()]);
    $('group-dialog').close();
    openChatAction(group.chatId);
  } catch (err) {
    const fields = fieldErrors(err);
    if (fields.has('name')) form.querySelector('[data-error-for=name]').textContent = fields.get('name');
    else form.querySelector('[data-error-for=_form]').textContent = await errorText(err);
  } finally {
    $('group-save').disabled = false;
  }
}

// ---------- chat info ----------

const info = { chatId: null, extraMembers: null, total: 0, error: '' };
let addPicker;

export function openInfo(chatId) {
  info.chatId = chatId;
  info.extraMembers = null;
  info.error = '';
  addPicker.reset();
  const chat = state.chats.get(chatId);
  $('rename-input').value = chat?.title ?? '';
  renderInfo();
  $('info-dialog').showModal();
  if (chat && needsPaging(chat)) void loadMoreMembers();
}

const needsPaging = (chat) => chat.type === 'group' && memberCount(chat) > membersOf(chat).length;

/** Groups bigger than the server puts in a Chat: members come page by page. */
async function loadMoreMembers() {
  const chat = state.chats.get(info.chatId);
  if (!chat) return;
  try {
    const page = await sync.groupMembersPage(chat, info.extraMembers?.length ?? 0);
    info.extraMembers = [...(info.extraMembers ?? []), ...page.items];
    info.total = page.total;
    for (const m of page.items) {
      void ensureUser(m.userId);
      if (m.userId === state.me.id) state.myRoles.set(chat.id, m.role);
    }
  } catch (err) {
    info.error = await errorText(err);
  }
  renderInfo();
}

function shownMembers(chat) {
  return needsPaging(chat) || info.extraMembers ? (info.extraMembers ?? []) : membersOf(chat);
}

const ROLE_WORDS = { owner: 'Owner', admin: 'Admin', member: 'Member' };
const ROLE_ORDER = { owner: 0, admin: 1, member: 2 };

function memberRow(chat, m) {
  const mine = myRole(chat);
  const me = m.userId === state.me.id;
  const name = nameOf(m.userId);
  const u = state.users.get(m.userId);
  const removable =
    !me && m.role !== 'owner' && (mine === 'owner' || (mine === 'admin' && m.role === 'member'));
  const actions = [];
  if (mine === 'owner' && !me) {
    const next = m.role === 'admin' ? 'member' : 'admin';
    actions.push(
      h(
        'button',
        {
          type: 'button',
          class: 'small',
          onclick: () => void act(() => sync.setRole(chat, m.userId, next)),
          'aria-label': `${next === 'admin' ? 'Make admin' : 'Remove admin'}: ${name}`,
        },
        next === 'admin' ? 'Make admin' : 'Remove admin',
      ),
    );
  }
  if (removable) {
    actions.push(
      h(
        'button',
        {
          type: 'button',
          class: 'small danger',
          'aria-label': `Remove ${name} from the group`,
          onclick: async () => {
            const yes = await confirmAction({
              title: `Remove ${name}?`,
              text: `${name} will no longer see “${chat.title}” or its messages.`,
              action: 'Remove',
            });
            if (yes) await act(() => sync.removeMember(chat, m.userId));
          },
        },
        'Remove',
      ),
    );
  }
  return h(
    'li',
    { dataset: { testid: 'member', userId: m.userId } },
    h('span', { class: avatarClass(m.userId), 'aria-hidden': 'true' }, initials(name)),
    h(
      'span',
      { class: 'member-main' },
      h('span', { class: 'title', dir: 'auto' }, me ? `${name} (you)` : name),
      // You are online while you look at this; your own "last seen" would only be the server's late view.
      h('span', { class: 'sub' }, me ? 'online' : presenceText(u) || (u ? `@${u.username}` : '')),
    ),
    h('span', { class: `role role-${m.role}` }, ROLE_WORDS[m.role] ?? m.role),
    actions.length ? h('span', { class: 'member-actions' }, ...actions) : null,
  );
}

async function act(fn) {
  info.error = '';
  try {
    await fn();
  } catch (err) {
    info.error = await errorText(err);
  }
  renderInfo();
}

function renderInfo() {
  const dialog = $('info-dialog');
  if (!dialog.open && info.chatId === null) return;
  const chat = state.chats.get(info.chatId);
  if (!chat) {
    if (dialog.open) dialog.close();
    return;
  }
  const group = chat.type === 'group';
  const manager = group && canManage(chat);
  $('info-title').textContent = chat.title;
  const av = $('info-avatar');
  av.className = avatarClass(avatarIdOf(chat));
  if (chat.type === 'saved') av.replaceChildren(icon('bookmark'));
  else av.textContent = initials(chat.title);
  const other = state.users.get(otherMemberId(chat));
  $('info-sub').textContent = group
    ? `${formatCount(memberCount(chat))} member${memberCount(chat) === 1 ? '' : 's'}`
    : chat.type === 'saved'
      ? 'Messages you send here are only visible to you.'
      : [other ? `@${other.username}` : '', presenceText(other)].filter(Boolean).join(' · ');
  $('rename-form').hidden = !manager;
  if (document.activeElement !== $('rename-input') && !$('rename-input').dataset.dirty)
    $('rename-input').value = chat.title;
  $('info-mute-row').hidden = !supportsMute(chat);
  $('info-mute').checked = isMuted(chat);
  $('info-members-section').hidden = !group;
  $('info-add-section').hidden = !manager;
  $('group-leave').hidden = !group;
  if (group) {
    const members = [...shownMembers(chat)].sort(
      (a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || nameOf(a.userId).localeCompare(nameOf(b.userId)),
    );
    reconcile(
      $('info-members'),
      members.map((m) => memberRow(chat, m)),
    );
    $('info-members-more').hidden = !(info.extraMembers && info.extraMembers.length < info.total);
  }
  $('info-error').textContent = info.error;
  addPicker.render();
}

export function bindGroups({ openChat }) {
  openChatAction = openChat;
  createPicker = peoplePicker($('group-search'), $('group-search-results'), {
    onPick: (u) => {
      draft.selected.set(u.id, u);
      renderSelected();
    },
    exclude: (id) => draft.selected.has(id),
  });
  $('group-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void createGroup();
  });
  $('group-cancel').addEventListener('click', () => $('group-dialog').close());
  // The "give it a name" hint goes once there is one.
  $('group-name').addEventListener('input', (e) => {
    if (e.target.value.trim()) $('group-form').querySelector('[data-error-for=name]').textContent = '';
  });

  addPicker = peoplePicker($('info-add-search'), $('info-add-results'), {
    onPick: (u) => {
      const chat = state.chats.get(info.chatId);
      if (chat) void act(() => sync.addMembers(chat, [u.id]));
    },
    exclude: (id) => shownMembers(state.chats.get(info.chatId) ?? {}).some((m) => m.userId === id),
  });
  $('rename-input').addEventListener('input', (e) => (e.target.dataset.dirty = '1'));
  $('rename-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const chat = state.chats.get(info.chatId);
    const name = $('rename-input').value.trim();
    if (!chat) return;
    if (!name) {
      info.error = 'Give the group a name.';
      return renderInfo();
    }
    if (name === chat.title) return;
    await act(() => sync.renameGroup(chat, name));
    delete $('rename-input').dataset.dirty;
    if (!info.error) $('rename-status').textContent = 'Saved.';
    setTimeout(() => ($('rename-status').textContent = ''), 2000);
  });
  $('info-mute').addEventListener('change', (e) => {
    const chat = state.chats.get(info.chatId);
    if (chat) void act(() => sync.setMuted(chat, e.target.checked));
  });
  $('info-members-more').addEventListener('click', () => void loadMoreMembers());
  $('group-leave').addEventListener('click', async () => {
    const chat = state.chats.get(info.chatId);
    if (!chat) return;
    const yes = await confirmAction({
      title: `Leave “${chat.title}”?`,
      text:
        'You will no longer see its messages, and only a member can add you back.' +
        (myRole(chat) === 'owner' ? ' An admin (or the longest-standing member) becomes the owner.' : ''),
      action: 'Leave group',
    });
    if (!yes) return;
    await act(() => sync.leaveGroup(chat));
  });
  $('info-dialog').addEventListener('close', () => {
    info.chatId = null;
    delete $('rename-input').dataset.dirty;
  });
  $('info-close').addEventListener('click', () => $('info-dialog').close());
  onRender('dialogs', renderInfo);
}
