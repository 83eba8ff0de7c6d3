// The Socket.IO connection: its state for the banner, the server's events applied through sync.js, and
// what to do when it drops: a token that expired is refreshed, a restarting or briefly unavailable server is
// retried with the session kept, and only a session that really ended leads to the login screen.
import { invalidate } from './render.js';
import { session } from './session.js';
import { SignedOutError, isTransient } from './errors.js';
import { state } from './state.js';
import * as sync from './sync.js';

const NORMAL_DELAY_MS = 1000;
const RESTART_PATIENCE_MS = 20_000;
let socket = null;
let handshakeToken = null;
let endedReason = null;
let restarting = false;
let unavailableAttempts = 0;
let authFailures = 0;
let reconnectTimer;
let restartTimer;
let handlers = { signedOut: () => undefined, telegramLinked: () => undefined };

function setConnection(status) {
  if (state.connection === status) return;
  const wasOnline = state.connection === 'online';
  state.connection = status;
  if (wasOnline && status !== 'online') sync.forgetPresence();
  invalidate('banner', 'header', 'chats', 'messages');
}

function reconnectSoon(ms) {
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(() => {
    if (socket && !socket.connected && session.signedIn) socket.connect();
  }, ms);
}

/** A refused handshake: refresh the access token, then try again; a refused refresh means logging in again. */
async function refreshAndReconnect() {
  authFailures += 1;
  try {
    await session.refresh(handshakeToken);
    // A fresh token refused again and again (clock skew?): slow down instead of spinning.
    reconnectSoon(authFailures > 2 ? Math.min(30_000, 1000 * authFailures) : 0);
  } catch (err) {
    if (err instanceof SignedOutError) return;
    setConnection(isTransient(err) ? 'offline' : 'connecting');
    reconnectSoon(3000 + Math.random() * 2000);
  }
}

export function connectSocket(on) {
  handlers = { ...handlers, ...on };
  // WebSocket first (any instance will do); long-polling only as a fallback (Nginx keeps it sticky).
  socket = io({
    path: '/socket.io',
    transports: ['websocket', 'polling'],
    reconnectionDelay: NORMAL_DELAY_MS,
    reconnectionDelayMax: 5000,
    auth: (cb) => {
      handshakeToken = session.accessToken;
      cb({ token: handshakeToken });
    },
  });
  state.socket = socket;

  socket.on('connect', () => {
    restarting = false;
    clearTimeout(restartTimer);
    endedReason = null;
    unavailableAttempts = 0;
    authFailures = 0;
    socket.io.reconnectionDelay(NORMAL_DELAY_MS);
    setConnection('online');
    void sync.resync().catch(() => undefined);
  });

  socket.on('disconnect', (reason) => {
    setConnection(restarting ? 'reconnecting' : navigator.onLine ? 'connecting' : 'offline');
    if (reason !== 'io server disconnect') return; // Socket.IO reconnects by itself
    // The server closed this socket on purpose; it does not come back by itself.
    if (endedReason === 'logout' || endedReason === 'revoked' || !session.signedIn) return;
    if (endedReason === 'expired') void refreshAndReconnect();
    else reconnectSoon(restarting ? 0 : NORMAL_DELAY_MS);
  });

  socket.on('connect_error', (err) => {
    const code = err?.data?.code ?? (err?.message === 'Unauthorized' ? 'UNAUTHORIZED' : null);
    if (code === 'UNAUTHORIZED') return void refreshAndReconnect();
    if (code === 'UNAVAILABLE') {
      // Refused by the server's middleware: Socket.IO will not retry by itself.
      setConnection('unavailable');
      unavailableAttempts += 1;
      const hinted = Number(err.data.retryAfter) * 1000 || 0;
      const backoff = Math.min(30_000, 1000 * 2 ** Math.min(unavailableAttempts, 5));
      return reconnectSoon(Math.max(hinted, backoff) * (0.8 + Math.random() * 0.4));
    }
    // The network or the server is away: Socket.IO keeps retrying with backoff.
    if (!restarting) setConnection('offline');
    if (!socket.active) reconnectSoon(NORMAL_DELAY_MS);
  });

  socket.on('session:ended', ({ reason } = {}) => {
    endedReason = reason;
    if (reason === 'expired') return; // refreshed on the disconnect that follows
    socket.io.reconnection(false);
    handlers.signedOut(reason === 'revoked' ? 'revoked' : 'logout');
  });

  socket.on('server:shutdown', ({ reconnectAfterMs } = {}) => {
    // A restart or deploy: come back as soon as the server says, without the "Offline" banner.
    restarting = true;
    clearTimeout(restartTimer);
    // If it is not back within a while, say what it is: the server is away.
    restartTimer = setTimeout(() => {
      restarting = false;
      if (!socket.connected) setConnection('offline');
    }, RESTART_PATIENCE_MS);
    const delay = Math.max(0, Math.min(Number(reconnectAfterMs) || 0, 30_000));
    socket.io.reconnectionDelay(Math.max(delay, 50));
  });

  socket.on('message:new', (m) => sync.applyMessage(m, { live: true }));
  socket.on('message:updated', (m) => sync.applyChanged(m));
  socket.on('message:deleted', (d) => sync.applyDeleted(d));
  socket.on('receipt', (r) => sync.applyReceipt(r));
  socket.on('typing', (t) => sync.applyTyping(t));
  socket.on('presence', (p) => sync.applyPresence(p));
  socket.on('chat:new', (c) => sync.upsertChat(c));
  socket.on('chat:updated', (c) => sync.upsertChat(c));
  socket.on('chat:removed', ({ chatId }) => sync.removeChat(chatId));
  socket.on('telegram:linked', (t) => handlers.telegramLinked(t));

  // The browser knows first when the network goes: say so at once, and reconnect as soon as it is back.
  addEventListener('offline', () => {
    setConnection('offline');
    if (socket.connected) {
      socket.disconnect();
      socket.connect();
    }
  });
  addEventListener('online', () => {
    setConnection('connecting');
    if (!socket.connected) {
      clearTimeout(reconnectTimer);
      socket.disconnect();
      socket.connect();
    }
  });
  return socket;
}

export function disconnectSocket() {
  clearTimeout(reconnectTimer);
  socket?.io.reconnection(false);
  socket?.disconnect();
}

export function emitTyping(chatId, isTyping) {
  if (socket?.connected) socket.emit('typing', { chatId, isTyping });
}
