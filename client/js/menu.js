// A context menu that is part of the page (role="menu"): opened by right click, long press, the "⋯" button
// or the keyboard; arrow keys move, Enter activates, Escape or a click elsewhere closes and returns focus.
import { $, h } from './dom.js';

let restoreFocus = null;
let closeHandler = null;

const menuEl = () => $('context-menu');

export function openMenu({ items, x, y, anchor, label = 'Actions' }) {
  closeMenu(false);
  const menu = menuEl();
  menu.setAttribute('aria-label', label);
  menu.replaceChildren(
    ...items.map((item) =>
      h(
        'button',
        {
          type: 'button',
          role: 'menuitem',
          tabIndex: -1,
          class: item.danger ? 'danger' : '',
          dataset: { action: item.id },
          onclick: () => {
            closeMenu(true);
            item.run();
          },
        },
        item.label,
      ),
    ),
  );
  menu.hidden = false;
  restoreFocus = anchor ?? document.activeElement;
  // Placed with CSSOM (allowed under a strict style-src), inside the viewport.
  const { width, height } = menu.getBoundingClientRect();
  const left = Math.max(8, Math.min(x, innerWidth - width - 8));
  const top = y + height > innerHeight - 8 ? Math.max(8, y - height) : y;
  menu.style.left = `${left}px`;
  menu.style.top = `${top}px`;
  menu.querySelector('[role=menuitem]')?.focus();
  const onOutside = (e) => {
    if (!menu.contains(e.target)) closeMenu(false);
  };
  setTimeout(() => document.addEventListener('pointerdown', onOutside), 0);
  closeHandler = () => document.removeEventListener('pointerdown', onOutside);
}

export function closeMenu(returnFocus = true) {
  const menu = menuEl();
  if (menu.hidden) return;
  menu.hidden = true;
  menu.replaceChildren();
  closeHandler?.();
  closeHandler = null;
  if (returnFocus && restoreFocus?.isConnected) restoreFocus.focus();
  restoreFocus = null;
}

export function bindMenu() {
  menuEl().addEventListener('keydown', (e) => {
    const items = [...menuEl().querySelectorAll('[role=menuitem]')];
    const index = items.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') items[(index + 1) % items.length]?.focus();
    else if (e.key === 'ArrowUp') items[(index - 1 + items.length) % items.length]?.focus();
    else if (e.key === 'Home') items[0]?.focus();
    else if (e.key === 'End') items[items.length - 1]?.focus();
    else if (e.key === 'Escape' || e.key === 'Tab') closeMenu(true);
    else return;
    e.preventDefault();
  });
  addEventListener('resize', () => closeMenu(false));
}
