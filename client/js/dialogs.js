// People search, the group dialog and the Telegram link.
import { $ } from './dom.js';
import { api } from './api.js';
import { state, nameOf } from './state.js';
import { showFieldErrors } from './auth-screen.js';
import { openChat } from './conversation.js';

export function searchBox(input, results, onPick) {
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
          li.textContent =
            u.id === state.me.id
              ? `${u.displayName} (you: saved messages)`
              : `${u.displayName} @${u.username}`;
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

export function renderGroupDialog() {
  const chat = group.editing ? state.chats.get(group.editing.chatId) : null;
  const myRole = chat?.members.find((m) => m.userId === state.me.id)?.role;
  const canManage = !chat || myRole === 'owner' || myRole === 'admin';
  $('group-dialog-title').textContent = chat ? chat.title : 'New group';
  $('group-name-label').hidden = Boolean(chat);
  $('group-save').hidden = Boolean(chat);
  $('group-leave').hidden = !chat;
  $('group-search').hidden = !canManage;
  const members = chat
    ? chat.members
    : [...group.selected.values()].map((u) => ({ userId: u.id, role: 'member' }));
  $('group-members').replaceChildren(
    ...members.map((m) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = m.userId === state.me.id ? `${nameOf(m.userId)} (you)` : nameOf(m.userId);
      const role = Object.assign(document.createElement('span'), { className: 'role', textContent: m.role });
      li.append(name, role);
      const removable =
        !chat ||
        (canManage &&
          m.userId !== state.me.id &&
          m.role !== 'owner' &&
          !(myRole === 'admin' && m.role === 'admin'));
      if (removable) {
        const remove = Object.assign(document.createElement('button'), {
          type: 'button',
          textContent: 'Remove',
        });
        remove.addEventListener('click', async () => {
          if (!chat) group.selected.delete(m.userId);
          else
            await api('DELETE', `/groups/${chat.groupId}/members/${m.userId}`).catch((err) =>
              showFieldErrors($('group-form'), err),
            );
          renderGroupDialog();
        });
        li.append(remove);
      }
      return li;
    }),
  );
}

export function bindGroups() {
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
      await api('POST', `/groups/${group.editing.groupId}/members`, { userIds: [u.id] }).catch((err) =>
        showFieldErrors($('group-form'), err),
      );
    }
    renderGroupDialog();
  });
  $('group-save').addEventListener('click', async () => {
    try {
      const created = await api('POST', '/groups', {
        name: $('group-name').value,
        memberIds: [...group.selected.keys()],
      });
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

export function renderTelegram(status) {
  $('telegram-status').textContent = status.linked
    ? `Telegram: ${status.telegramUsername ? '@' + status.telegramUsername : 'linked'} ✓`
    : '';
  $('telegram-connect').hidden = status.linked;
  $('telegram-disconnect').hidden = !status.linked;
  if (status.linked) $('telegram-link').hidden = true;
}

export function bindTelegram() {
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
