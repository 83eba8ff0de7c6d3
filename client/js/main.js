// Entry point: binds every view, resumes the session (or shows the login screen) and starts the app.
import { $ } from './dom.js';
import { onRender, invalidate } from './render.js';
import { api, withRetry } from './api.js';
import { session } from './session.js';
import { describeError, isServerTrouble, isTransient } from './errors.js';
import { state, outbox, drafts, forgetLocalData, rememberUser } from './state.js';
import * as sync from './sync.js';
import { connectSocket, disconnectSocket } from './socket.js';
import { bindAuthForms, showAuth } from './auth-screen.js';
import { bindChatList } from './chat-list.js';
import { bindConversation, bindHistory, openChat, stickToBottom } from './conversation.js';
import { bindComposer } from './composer.js';
import { bindConfirm } from './confirm.js';
import { bindMenu } from './menu.js';
import { bindPeople, openPeople } from './people.js';
import { bindGroups, openInfo, openNewGroup } from './groups.js';
import { bindProfile, renderMe, renderTelegram } from './profile.js';
import { armSoundOnFirstGesture, onNotificationClick, updateTitle } from './notify.js';

const FLASH_KEY = 'messenger.flash';

const BANNER = {
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline — messages will be sent when you are back',
  unavailable: 'The server is temporarily unavailable — retrying…',
};

function renderBanner() {
  const banner = $('banner');
  const text = $('app').hidden ? '' : (BANNER[state.connection] ?? '');
  banner.hidden = !text;
  banner.textContent = text;
  banner.dataset.state = state.connection;
}

/** The session ended (elsewhere, or expired): start from a clean page that says why. */
function signedOut(reason) {
  disconnectSocket();
  session.forget('logout');
  drafts.save();
  const words = {
    revoked: 'You were signed out: this session was ended from another device.',
    logout: 'You were signed out.',
    expired: 'Your session has ended. Please log in again.',
  };
  sessionStorage.setItem(FLASH_KEY, words[reason] ?? words.logout);
  location.replace('/');
}

async function logout() {
  disconnectSocket();
  await api('POST', '/auth/logout').catch(() => undefined);
  session.forget('logout');
  forgetLocalData();
  sessionStorage.setItem(FLASH_KEY, 'You have logged out.');
  location.replace('/');
}

async function startApp() {
  state.connection = 'connecting';
  $('auth').hidden = true;
  $('app').hidden = false;
  invalidate('banner');
  state.me = await withRetry(() => api('GET', '/users/me'), isServerTrouble, {
    onWait: () => {
      state.connection = 'unavailable';
      invalidate('banner');
    },
  });
  rememberUser(state.me);
  renderMe();
  outbox.load();
  drafts.load();
  armSoundOnFirstGesture();
  const wanted = new URLSearchParams(location.search).get('chat');
  connectSocket({ signedOut, telegramLinked: (t) => renderTelegram({ linked: true, ...t }) });
  try {
    // Everyone has a "Saved messages" chat; creating it is idempotent.
    await sync.openDirect(state.me.id);
    await sync.loadChats();
  } catch (err) {
    if (!isTransient(err)) throw err; // offline: the socket's reconnect loads everything
  }
  if (wanted) openChat(wanted, { url: 'none' });
  invalidate('chats', 'pane', 'title', 'banner');
}

function bindAll() {
  bindConfirm();
  bindMenu();
  bindAuthForms({
    onSignedIn: async () => {
      await startApp();
      // Keyboard users land where the next step is: finding someone to talk to.
      // (Not on touch screens, where focusing a field pops up the keyboard.)
      if (!state.openChatId && matchMedia('(pointer: fine)').matches) $('search').focus();
    },
  });
  bindComposer({ onSent: () => stickToBottom() });
  bindConversation({ onInfo: openInfo });
  bindHistory();
  bindChatList({ openChat: (id) => openChat(id), openPeople });
  bindPeople({ openChat: (id) => openChat(id) });
  bindGroups({ openChat: (id) => openChat(id) });
  bindProfile({ logout });
  onNotificationClick((chatId) => openChat(chatId));
  $('new-chat').addEventListener('click', openPeople);
  $('new-group').addEventListener('click', openNewGroup);
  onRender('banner', renderBanner);
  onRender('title', updateTitle);
  session.onSignedOut(signedOut);
  session.watchOtherTabs(() => signedOut('logout'));
}

async function boot() {
  bindAll();
  const flash = sessionStorage.getItem(FLASH_KEY) ?? '';
  sessionStorage.removeItem(FLASH_KEY);
  try {
    // Offline or the server restarting: keep the session and try again, never drop to the login screen.
    const resumed = await withRetry(() => session.resume(), isServerTrouble, {
      onWait: () => {
        $('app').hidden = false;
        invalidate('banner');
      },
    });
    if (!resumed) return showAuth(flash);
    await startApp();
  } catch (err) {
    showAuth(describeError(err));
  }
}

void boot();
