// DOM helpers shared by every view. User text only ever enters the page as text nodes, never as HTML.

export const $ = (id) => document.getElementById(id);

/**
 * Creates an element. Props become properties where the element has one (textContent, hidden, type, ...),
 * `class`/`dataset`/`on<event>` are special, and everything else (aria-*, role, ...) is set as an attribute.
 * Children are nodes or strings (strings become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && !key.includes('-') && key !== 'role') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/**
 * Makes `parent`'s children exactly `nodes`, moving only what changed: nodes already in place stay put, so
 * focus, scroll anchors and live regions are not disturbed by a re-render.
 */
export function reconcile(parent, nodes) {
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
      continue;
    }
    parent.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

/** Shows one of several sibling elements by id and hides the rest. */
export function showOnly(visibleId, ids) {
  for (const id of ids) $(id).hidden = id !== visibleId;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
