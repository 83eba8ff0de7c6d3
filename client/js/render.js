// Re-rendering on demand: state changes mark parts of the page dirty, and one microtask later each dirty
// part is drawn once, in a fixed order, however many changes arrived in between.

const ORDER = [
  'banner',
  'chats',
  'search',
  'pane',
  'header',
  'messages',
  'typing',
  'title',
  'dialogs',
  'toast',
];
const renderers = new Map();
const dirty = new Set();
let scheduled = false;

export function onRender(part, fn) {
  if (!ORDER.includes(part)) throw new Error(`unknown render part ${part}`);
  renderers.set(part, [...(renderers.get(part) ?? []), fn]);
}

export function invalidate(...parts) {
  for (const part of parts) dirty.add(part);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(flush);
}

function flush() {
  scheduled = false;
  // 'pane' draws the whole conversation, its header, messages and typing line included.
  const covered = dirty.has('pane') ? ['header', 'messages', 'typing'] : [];
  const parts = ORDER.filter((p) => dirty.has(p) && !covered.includes(p));
  dirty.clear();
  for (const part of parts) {
    for (const fn of renderers.get(part) ?? []) {
      try {
        fn();
      } catch (err) {
        console.error(`render ${part} failed`, err);
      }
    }
  }
}
