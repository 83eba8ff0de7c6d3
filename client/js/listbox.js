// The listbox pattern (chat list, search results, people): options are focusable with a roving tabindex,
// ArrowUp/ArrowDown/Home/End move between them, Enter or Space (or a click) activates one.

export function listbox(container, { onActivate, onEscape, onLeaveTop } = {}) {
  const options = () => [...container.querySelectorAll('[role=option]')];
  container.addEventListener('click', (e) => {
    const option = e.target.closest('[role=option]');
    if (option && container.contains(option)) onActivate(option, e);
  });
  container.addEventListener('focusin', (e) => {
    const option = e.target.closest('[role=option]');
    if (option) setRoving(container, option);
  });
  container.addEventListener('keydown', (e) => {
    const all = options();
    const current = e.target.closest('[role=option]');
    const index = all.indexOf(current);
    if (index < 0) return;
    let next = null;
    if (e.key === 'ArrowDown') next = all[Math.min(all.length - 1, index + 1)];
    else if (e.key === 'ArrowUp') {
      if (index === 0 && onLeaveTop) {
        e.preventDefault();
        return onLeaveTop();
      }
      next = all[Math.max(0, index - 1)];
    } else if (e.key === 'Home') next = all[0];
    else if (e.key === 'End') next = all[all.length - 1];
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      return onActivate(current, e);
    } else if (e.key === 'Escape' && onEscape) {
      e.preventDefault();
      return onEscape();
    }
    if (next) {
      e.preventDefault();
      next.focus();
    }
  });
}

/** Exactly one option is in the Tab order: the focused one, else the selected one, else the first. */
export function setRoving(container, preferred) {
  const all = [...container.querySelectorAll('[role=option]')];
  const chosen =
    (preferred && all.includes(preferred) && preferred) ||
    all.find((o) => o === document.activeElement) ||
    all.find((o) => o.getAttribute('aria-selected') === 'true') ||
    all[0];
  for (const o of all) o.tabIndex = o === chosen ? 0 : -1;
}

export const focusFirstOption = (container) => container.querySelector('[role=option]')?.focus();
