// The login and registration forms.
import { $ } from './dom.js';
import { api } from './api.js';
import { session } from './session.js';
import { start } from './main.js';

export function showFieldErrors(form, err) {
  form.querySelectorAll('[data-error-for]').forEach((el) => (el.textContent = ''));
  const details = Array.isArray(err.body?.details) ? err.body.details : [];
  let placed = false;
  for (const d of details) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(d.field)}"]`);
    if (slot) {
      slot.textContent = d.errors.join(', ');
      placed = true;
    }
  }
  if (!placed) {
    const field =
      err.body?.code === 'EMAIL_TAKEN' ? 'email' : err.body?.code === 'USERNAME_TAKEN' ? 'username' : '_form';
    const slot =
      form.querySelector(`[data-error-for="${field}"]`) ?? form.querySelector('[data-error-for="_form"]');
    slot.textContent = err.message;
  }
}

export function bindAuthForms() {
  for (const [formId, path] of [
    ['login-form', '/auth/login'],
    ['register-form', '/auth/register'],
  ]) {
    const form = $(formId);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ''));
      if (path === '/auth/login') body.deviceName = navigator.userAgent.slice(0, 64);
      try {
        const result = await api('POST', path, body);
        session.set({ accessToken: result.accessToken, refreshToken: result.refreshToken });
        form.reset();
        await start();
      } catch (err) {
        showFieldErrors(form, err);
      }
    });
  }
}

export function showAuth() {
  $('app').hidden = true;
  $('auth').hidden = false;
}
