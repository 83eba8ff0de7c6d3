// Logging in and creating an account: hints before submitting, checks in the browser for what it can
// know (length, format), and the server's answers in plain words next to the field they are about.
import { $ } from './dom.js';
import { session } from './session.js';
import { describeError, fieldErrors, PASSWORD_MIN, PASSWORD_MAX_BYTES } from './errors.js';

const USERNAME = /^[A-Za-z0-9_]{3,32}$/;
const bytes = (s) => new TextEncoder().encode(s).length;

function clearErrors(form) {
  form.querySelectorAll('[data-error-for]').forEach((el) => (el.textContent = ''));
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
}

function showErrors(form, errors, general) {
  let first = null;
  for (const [field, text] of errors) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (!slot) {
      general = general ? `${general} ${text}` : text;
      continue;
    }
    slot.textContent = text;
    input?.setAttribute('aria-invalid', 'true');
    first ??= input;
  }
  if (general) form.querySelector('[data-error-for=_form]').textContent = general;
  (first ?? form.querySelector('button[type=submit]')).focus();
}

/** What the browser can check before asking the server (the server checks common passwords too). */
export function passwordProblems(password, { username = '', email = '' } = {}) {
  const problems = [];
  if ([...password].length < PASSWORD_MIN) problems.push(`Use at least ${PASSWORD_MIN} characters.`);
  if (bytes(password) > PASSWORD_MAX_BYTES)
    problems.push(
      `That password is too long: at most ${PASSWORD_MAX_BYTES} bytes (letters with accents and emoji take more than one).`,
    );
  const lower = password.toLowerCase();
  if (
    lower &&
    (lower === username.toLowerCase() ||
      lower === email.toLowerCase() ||
      lower === email.split('@')[0].toLowerCase())
  )
    problems.push("Your password can't be your username or email.");
  return problems;
}

function checkRegister(body) {
  const errors = new Map();
  if (!body.email) errors.set('email', 'Enter your email address.');
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email))
    errors.set('email', 'Enter a valid email address, like name@example.com.');
  if (!body.username) errors.set('username', 'Choose a username.');
  else if (!USERNAME.test(body.username)) errors.set('username', 'Use 3–32 letters, digits or underscores.');
  if (body.displayName && [...body.displayName].length > 64)
    errors.set('displayName', 'Use 1–64 characters for your name.');
  if (!body.password) errors.set('password', 'Enter a password.');
  else {
    const problems = passwordProblems(body.password, body);
    if (problems.length) errors.set('password', problems[0]);
  }
  return errors;
}

function checkLogin(body) {
  const errors = new Map();
  if (!body.login) errors.set('login', 'Enter your username or email.');
  if (!body.password) errors.set('password', 'Enter your password.');
  return errors;
}

/** Live feedback under the password field while typing, before anything is sent. */
function bindPasswordHint(form) {
  const input = form.querySelector('input[name=password]');
  const hint = $('password-hint');
  const update = () => {
    const value = input.value;
    if (!value) {
      hint.textContent = `At least ${PASSWORD_MIN} characters. Not your username or email, and not a common password.`;
      hint.classList.remove('ok');
      return;
    }
    const problems = passwordProblems(value, {
      username: form.querySelector('input[name=username]').value,
      email: form.querySelector('input[name=email]').value,
    });
    hint.textContent = problems.length ? problems.join(' ') : 'Looks good. Common passwords are refused too.';
    hint.classList.toggle('ok', !problems.length);
  };
  for (const name of ['password', 'username', 'email'])
    form.querySelector(`input[name=${name}]`).addEventListener('input', update);
  update();
}

export function bindAuthForms({ onSignedIn }) {
  const forms = [
    ['login-form', '/auth/login', checkLogin],
    ['register-form', '/auth/register', checkRegister],
  ];
  for (const [formId, path, check] of forms) {
    const form = $(formId);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      $('auth-notice').textContent = '';
      $('auth-notice').hidden = true;
      const body = {};
      for (const [key, raw] of new FormData(form)) {
        const value = key === 'password' ? String(raw) : String(raw).trim();
        if (value) body[key] = value;
      }
      const problems = check(body);
      if (problems.size) return showErrors(form, problems);
      if (path === '/auth/login') body.deviceName = deviceName();
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        const user = await session.signIn(path, body);
        form.reset();
        await onSignedIn(user);
      } catch (err) {
        const fields = fieldErrors(err);
        // Enabled again first: focus() on a disabled button does nothing, and the focus would be lost.
        button.disabled = false;
        showErrors(form, fields, fields.size ? '' : describeError(err));
      } finally {
        button.disabled = false;
      }
    });
  }
  bindPasswordHint($('register-form'));
}

/** "Chrome on Linux": enough for the user to recognise the session later. */
function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

export function showAuth(message = '') {
  $('app').hidden = true;
  $('auth').hidden = false;
  $('auth-notice').textContent = message;
  $('auth-notice').hidden = !message;
  document.title = 'Messenger';
}
