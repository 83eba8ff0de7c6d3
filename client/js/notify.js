// Telling the user about messages they are not looking at: the unread count in the tab title, desktop
// notifications (permission asked only on a click) and a short sound. Muted chats do neither.
import { state, isMuted, totalUnread, ensureUser } from './state.js';

const PREF_KEY = 'messenger.desktop-notifications';
let openChatHandler = () => undefined;
let audio = null;

export const supported = () => 'Notification' in window;

/** 'unsupported' | 'blocked' | 'on' | 'off' */
export function notificationStatus() {
  if (!supported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  return Notification.permission === 'granted' && localStorage.getItem(PREF_KEY) === 'on' ? 'on' : 'off';
}

/** Must run inside a click handler: browsers only show the permission prompt for a user gesture. */
export async function setNotifications(on) {
  if (!supported()) return notificationStatus();
  if (on) {
    unlockSound();
    const permission =
      Notification.permission === 'default'
        ? await Notification.requestPermission()
        : Notification.permission;
    if (permission === 'granted') localStorage.setItem(PREF_KEY, 'on');
  } else {
    localStorage.setItem(PREF_KEY, 'off');
  }
  return notificationStatus();
}

export function onNotificationClick(handler) {
  openChatHandler = handler;
}

export function updateTitle() {
  const unread = totalUnread();
  document.title = unread > 0 ? `(${unread}) Messenger` : 'Messenger';
}

/** A new message arrived live; tells the user if they are not looking at that chat. */
export function incoming(chat, m) {
  if (!chat || m.senderId === state.me.id || m.type === 'system' || isMuted(chat)) return;
  if (!shouldTell(chat)) return;
  // A shown notification cannot be corrected: in a group, wait for the sender's name if it is not known yet.
  if (chat.type === 'group' && !state.users.has(m.senderId))
    void ensureUser(m.senderId).then(() => shouldTell(chat) && show(chat, m));
  else show(chat, m);
}

function shouldTell(chat) {
  const looking =
    state.openChatId === chat.id && document.visibilityState === 'visible' && document.hasFocus();
  return !looking && notificationStatus() === 'on';
}

function show(chat, m) {
  const text = m.text ?? '';
  const sender = state.users.get(m.senderId)?.displayName ?? 'Someone';
  const body = chat.type === 'group' ? `${sender}: ${text}` : text;
  try {
    const n = new Notification(chat.title, { body: body.slice(0, 180), tag: chat.id, lang: 'und' });
    n.addEventListener('click', () => {
      window.focus();
      openChatHandler(chat.id);
      n.close();
    });
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
  playSound();
}

function unlockSound() {
  try {
    audio ??= new AudioContext();
    void audio.resume();
  } catch {
    audio = null;
  }
}

/** A short two-tone blip made on the spot: no audio file, nothing to fetch. */
function playSound() {
  if (!audio || audio.state !== 'running') return;
  const now = audio.currentTime;
  const gain = audio.createGain();
  gain.gain.setValueAtTime(0.0001, now);
  gain.gain.exponentialRampToValueAtTime(0.08, now + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
  gain.connect(audio.destination);
  for (const [freq, start] of [
    [880, 0],
    [1320, 0.09],
  ]) {
    const osc = audio.createOscillator();
    osc.frequency.value = freq;
    osc.connect(gain);
    osc.start(now + start);
    osc.stop(now + start + 0.12);
  }
}

/** After a reload the sound needs a gesture again: the first click or key press unlocks it. */
export function armSoundOnFirstGesture() {
  if (notificationStatus() !== 'on') return;
  const unlock = () => {
    unlockSound();
    removeEventListener('pointerdown', unlock);
    removeEventListener('keydown', unlock);
  };
  addEventListener('pointerdown', unlock);
  addEventListener('keydown', unlock);
}
