// The sidebar's list of chats.
import { $ } from './dom.js';
import { state, nameOf, sortedChats, otherMember, user } from './state.js';
import { openChat, renderAll } from './conversation.js';

export function previewOf(chat) {
  const m = chat.lastMessage;
  if (!m) return 'No messages yet';
  const who = m.senderId === state.me.id ? 'You: ' : chat.type === 'group' ? `${nameOf(m.senderId)}: ` : '';
  return who + (m.text ?? 'Message deleted');
}

export function renderChatList() {
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

export function upsertChat(chat) {
  state.chats.set(chat.id, chat);
  for (const m of chat.members)
    if (!state.users.has(m.userId)) user(m.userId).then(renderAll, () => undefined);
  renderChatList();
}
