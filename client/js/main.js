// Entry point: binds the screens and starts a session if one is stored.
import { $ } from './dom.js';
import { api } from './api.js';
import { session } from './session.js';
import { state, outbox, OUTBOX_KEY } from './state.js';
import { bindAuthForms, showAuth } from './auth-screen.js';
import { upsertChat } from './chat-list.js';
import { openChat, closeChat, renderMessages } from './conversation.js';
import { bindComposer } from './composer.js';
import { connectSocket } from './socket.js';
import { bindGroups, bindTelegram, searchBox, renderTelegram } from './dialogs.js';

export async function logout(callServer = true) {
  if (callServer) await api('POST', '/auth/logout').catch(() => undefined);
  session.clear();
  localStorage.removeItem(OUTBOX_KEY);
  location.href = '/';
}

export async function start() {
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
