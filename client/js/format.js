// Formatting of times, names and message text. Pure functions; links are built as DOM nodes.
import { h } from './dom.js';

const DAY_MS = 86_400_000;
const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
const daysAgo = (date, now) => Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS);

export const clockTime = (iso) =>
  new Date(iso).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });

/** Chat list: "14:05" today, "Tue" this week, "3 Mar" this year, else a short date. */
export function listTime(iso, now = new Date()) {
  const date = new Date(iso);
  const days = daysAgo(date, now);
  if (days <= 0) return clockTime(iso);
  if (days < 7) return date.toLocaleDateString([], { weekday: 'short' });
  if (date.getFullYear() === now.getFullYear())
    return date.toLocaleDateString([], { day: 'numeric', month: 'short' });
  return date.toLocaleDateString();
}

/** Day separators: "Today", "Yesterday", "Monday, 3 March", "3 March 2024". */
export function dayLabel(iso, now = new Date()) {
  const date = new Date(iso);
  const days = daysAgo(date, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days < 7) return date.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long' });
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString([], {
    day: 'numeric',
    month: 'long',
    year: sameYear ? undefined : 'numeric',
  });
}

export const dayKey = (iso) => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
};

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "last seen just now", "last seen 2 minutes ago", "last seen yesterday at 18:02", "last seen 3 March". */
export function lastSeen(iso, now = new Date()) {
  const ms = now.getTime() - new Date(iso).getTime();
  if (ms < 60_000) return 'last seen just now';
  if (ms < 3_600_000) return `last seen ${relative.format(-Math.floor(ms / 60_000), 'minute')}`;
  const days = daysAgo(new Date(iso), now);
  if (days === 0) return `last seen ${relative.format(-Math.floor(ms / 3_600_000), 'hour')}`;
  if (days === 1) return `last seen yesterday at ${clockTime(iso)}`;
  return `last seen ${new Date(iso).toLocaleDateString([], { day: 'numeric', month: 'long' })}`;
}

export function initials(name) {
  const words = String(name ?? '?')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return (
    letters
      .map((w) => [...w][0] ?? '')
      .join('')
      .toUpperCase() || '?'
  );
}

/** One of eight avatar colours (classes in style.css, so no inline styles), stable per id. */
export function avatarClass(id) {
  let hash = 0;
  for (const ch of String(id)) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  return `avatar c${Math.abs(hash) % 8}`;
}

export const avatar = (id, name, extra = '') =>
  h('span', { class: `${avatarClass(id)} ${extra}`.trim(), 'aria-hidden': 'true' }, initials(name));

/** "Carol", "Carol and Dave", "Carol, Dave and Erin". */
export function listNames(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Code points after trimming: how the server counts the 4096-character limit. */
export const messageLength = (text) => [...text.trim()].length;

export const formatCount = (n) => n.toLocaleString('en');

// http(s) URLs only; anything else (javascript:, data:, ...) stays plain text.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'")\]}]+$/;

/**
 * Text with its http/https links as <a> elements (rel="noopener noreferrer", new tab), built with DOM APIs.
 * A URL only becomes a link after `new URL()` parses it with an http(s) protocol.
 */
export function linkify(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let candidate = match[0];
    // Keep a closing bracket that belongs to the URL ("...wiki/Foo_(bar)"), drop sentence punctuation.
    const trailing = candidate.match(TRAILING)?.[0] ?? '';
    if (trailing && !(trailing === ')' && candidate.includes('(')))
      candidate = candidate.slice(0, -trailing.length);
    let url;
    try {
      url = new URL(candidate);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    if (match.index > last) nodes.push(text.slice(last, match.index));
    nodes.push(
      h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', dir: 'auto' }, candidate),
    );
    last = match.index + candidate.length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

/**
 * A service message ("Alice added Carol") in words. `name(id)` gives a display name; the viewer is "You"/"you".
 */
export function systemText(system, name, meId) {
  if (!system) return 'Group updated';
  const who = (id, start) => (id === meId ? (start ? 'You' : 'you') : name(id));
  const actor = who(system.actorId, true);
  const others = listNames((system.userIds ?? []).map((id) => who(id, false)));
  switch (system.event) {
    case 'group_created':
      return system.name ? `${actor} created the group “${system.name}”` : `${actor} created the group`;
    case 'members_added':
      return `${actor} added ${others || 'members'}`;
    case 'member_removed':
      return `${actor} removed ${others || 'a member'}`;
    case 'member_left':
      return `${system.actorId ? actor : listNames((system.userIds ?? []).map((id) => who(id, true)))} left`;
    case 'group_renamed':
      return `${actor} renamed the group to “${system.name ?? ''}”`;
    default:
      return 'Group updated';
  }
}
