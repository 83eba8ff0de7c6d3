// Sending (through the outbox), editing and deleting messages.
import { $ } from './dom.js';
import { api } from './api.js';
import { state, outbox } from './state.js';
import { renderAll, renderMessages, loadOlder } from './conversation.js';
import { applyMessage } from './socket.js';

export async function sendPending(p) {
  if (!state.socket?.connected) return; // stays in the outbox; resent on (re)connect
  try {
    const ack = await state.socket
      .timeout(10000)
      .emitWithAck('message:send', { chatId: p.chatId, text: p.text, clientMsgId: p.clientMsgId });
    if (ack.ok) {
      state.pending.delete(p.clientMsgId);
      applyMessage(ack.data);
    } else if (ack.error.code === 'RATE_LIMITED') {
      setTimeout(() => sendPending(p), (ack.error.retryAfter ?? 1) * 1000);
    } else {
      p.failed = ack.error.message;
      $('composer-error').textContent = ack.error.message;
    }
  } catch {
    // No ack in time (connection trouble): the same clientMsgId is resent on reconnect, never duplicated.
  }
  outbox.save();
  renderAll();
}

export function bindComposer() {
  const input = $('message-input');
  let typingSent = 0;
  let typingIdle;
  const stopTyping = () => {
    clearTimeout(typingIdle);
    if (typingSent) state.socket?.emit('typing', { chatId: state.openChatId, isTyping: false });
    typingSent = 0;
  };
  input.addEventListener('input', () => {
    if (!state.openChatId || !input.value.trim()) return stopTyping();
    if (Date.now() - typingSent > 2000) {
      state.socket?.emit('typing', { chatId: state.openChatId, isTyping: true });
      typingSent = Date.now();
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 3000);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    $('composer-error').textContent = '';
    if (!text || !state.openChatId) return;
    input.value = '';
    stopTyping();
    const p = { chatId: state.openChatId, text, clientMsgId: crypto.randomUUID(), senderId: state.me.id };
    state.pending.set(p.clientMsgId, p);
    outbox.save();
    renderMessages();
    $('messages').scrollTop = $('messages').scrollHeight;
    void sendPending(p);
  });
  $('messages').addEventListener('scroll', () => {
    if ($('messages').scrollTop < 60) void loadOlder();
  });
}

export async function editMessage(m) {
  // eslint-disable-next-line no-restricted-globals -- replaced by an inline editor next
  const text = prompt('Edit message', m.text);
  if (text === null || !text.trim() || text.trim() === m.text) return;
  try {
    applyMessage(await api('PATCH', `/messages/${m.id}`, { text }));
  } catch (err) {
    $('composer-error').textContent = err.message;
  }
}

export async function deleteMessage(m) {
  // eslint-disable-next-line no-restricted-globals -- replaced by an in-page dialog next
  if (!confirm('Delete this message?')) return;
  try {
    await api('DELETE', `/messages/${m.id}`);
    applyMessage({ ...m, text: null, deletedAt: new Date().toISOString() });
  } catch (err) {
    $('composer-error').textContent = err.message;
  }
}
