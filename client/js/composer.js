// The composer, bound to the chat the pane shows: a draft per chat, autosizing, Enter sends and Shift+Enter
// starts a new line, a counter near the 4096-character limit, and sending blocked (with the reason) above it.
import { $ } from './dom.js';
import { state, drafts } from './state.js';
import * as sync from './sync.js';
import { emitTyping } from './socket.js';
import { messageLength, formatCount } from './format.js';

export const MAX_TEXT = 4096;
const COUNTER_FROM = 3800;
const TYPING_REFRESH_MS = 2500;
const TYPING_SERVER_MS = 1100;
const TYPING_IDLE_MS = 3000;

let boundChatId = null;
let typingSentAt = 0;
let typingOn = false;
let typingIdle;
let typingDeferred = null;
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
  clearTimeout(typingDeferred);
  typingDeferred = null;
  if (typingOn && boundChatId) emitTyping(boundChatId, false);
  typingOn = false;
}

/**
 * "Typing" while the user types: again every few seconds so the others' indicator stays, and never sooner
 * than the server relays it (one "typing" per second per chat; an earlier one would be dropped, so it waits).
 */
function noteTyping(chatId) {
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  const since = Date.now() - typingSentAt;
  if (typingOn && since < TYPING_REFRESH_MS) return;
  if (since >= TYPING_SERVER_MS) {
    emitTyping(chatId, true);
    typingSentAt = Date.now();
    typingOn = true;
  } else if (!typingDeferred) {
    typingDeferred = setTimeout(() => {
      typingDeferred = null;
      if (boundChatId === chatId && input().value.trim()) noteTyping(chatId);
    }, TYPING_SERVER_MS - since);
  }
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
    noteTyping(chatId);
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
