// The composer, bound to the chat the pane shows: a draft per chat, autosizing, Enter sends and Shift+Enter
// starts a new line, a counter near the 4096-character limit, and sending blocked (with the reason) above it.
import { $ } from './dom.js';
import { state, drafts } from './state.js';
import * as sync from './sync.js';
import { emitTyping } from './socket.js';
import { messageLength, formatCount } from './format.js';

export const MAX_TEXT = 4096;
const COUNTER_FROM = 3800;
const TYPING_EVERY_MS = 2000;
const TYPING_IDLE_MS = 3000;

let boundChatId = null;
let typingSentAt = 0;
let typingIdle;
let hooks = { onSent: () => undefined };

const input = () => $('message-input');

/** Shows `chatId`'s draft; everything typed from now on belongs to that chat. */
export function bindTo(chatId) {
  if (boundChatId === chatId) return;
  stopTyping();
  boundChatId = chatId;
  const el = input();
  el.value = chatId ? (state.drafts.get(chatId) ?? '') : '';
  el.dataset.chatId = chatId ?? '';
  $('composer-error').textContent = '';
  refresh();
}

export const boundChat = () => boundChatId;

export function focus() {
  const el = input();
  if (!el.offsetParent) return;
  el.focus();
  el.setSelectionRange(el.value.length, el.value.length);
}

export function showError(text) {
  $('composer-error').textContent = text;
}

function tooLongText(length) {
  return `This message is too long to send: ${formatCount(length)} characters, and the limit is ${formatCount(MAX_TEXT)}. Shorten it or split it into several messages.`;
}

function refresh() {
  const el = input();
  // Autosize: as tall as the text, up to the CSS max-height (then it scrolls).
  el.style.height = 'auto';
  el.style.height = `${el.scrollHeight + 2}px`;
  const length = messageLength(el.value);
  const over = length > MAX_TEXT;
  const counter = $('composer-counter');
  counter.hidden = length < COUNTER_FROM;
  counter.classList.toggle('over', over);
  counter.textContent = over
    ? `${formatCount(length)} / ${formatCount(MAX_TEXT)}: ${formatCount(length - MAX_TEXT)} too many to send`
    : `${formatCount(length)} / ${formatCount(MAX_TEXT)}`;
  $('send').disabled = over;
  $('send').title = over ? tooLongText(length) : 'Send (Enter)';
  if (!over && $('composer-error').dataset.kind === 'length') showError('');
  if (over && $('composer-error').dataset.kind === 'length') showError(tooLongText(length));
}

function stopTyping() {
  clearTimeout(typingIdle);
  if (typingSentAt && boundChatId) emitTyping(boundChatId, false);
  typingSentAt = 0;
}

function submit() {
  const chatId = boundChatId;
  const el = input();
  const text = el.value.trim();
  const error = $('composer-error');
  if (!chatId || !text) return;
  const length = messageLength(text);
  if (length > MAX_TEXT) {
    error.dataset.kind = 'length';
    showError(tooLongText(length));
    return;
  }
  error.dataset.kind = '';
  showError('');
  el.value = '';
  drafts.set(chatId, '');
  refresh();
  stopTyping();
  hooks.onSent(chatId);
  sync.queueMessage(chatId, text);
}

export function bindComposer(on = {}) {
  hooks = { ...hooks, ...on };
  const el = input();
  el.addEventListener('input', () => {
    const chatId = boundChatId;
    if (!chatId) return;
    drafts.set(chatId, el.value);
    refresh();
    if (!el.value.trim()) return stopTyping();
    if (Date.now() - typingSentAt > TYPING_EVERY_MS) {
      emitTyping(chatId, true);
      typingSentAt = Date.now();
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  });
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  addEventListener('beforeunload', () => drafts.save());
}
