// Confirmation in the page (a <dialog>), never window.confirm(): resolves true for the action, false otherwise.
import { $ } from './dom.js';

let resolver = null;

export function confirmAction({ title, text = '', action = 'OK', danger = true }) {
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-text').hidden = !text;
  const ok = $('confirm-ok');
  ok.textContent = action;
  ok.classList.toggle('danger', danger);
  resolver?.(false);
  dialog.returnValue = '';
  dialog.showModal();
  $('confirm-cancel').focus();
  return new Promise((resolve) => {
    resolver = resolve;
  });
}

export function bindConfirm() {
  const dialog = $('confirm-dialog');
  dialog.addEventListener('close', () => {
    resolver?.(dialog.returnValue === 'ok');
    resolver = null;
  });
}
