// The profile panel: the user's own @username and email, display name and "who can add me to groups"
// (where the server supports editing them), desktop notifications, Telegram, and logging out.
import { $ } from './dom.js';
import { onRender, invalidate } from './render.js';
import { api } from './api.js';
import { state } from './state.js';
import * as sync from './sync.js';
import { describeError, fieldErrors } from './errors.js';
import { avatarClass, initials } from './format.js';
import { notificationStatus, setNotifications } from './notify.js';

/** Servers with PATCH /users/me say so by returning `groupInvites` in GET /users/me. */
const canEditProfile = () => typeof state.me?.groupInvites === 'string';
let logoutAction = () => undefined;

export function renderMe() {
  const me = state.me;
  if (!me) return;
  $('me-name').textContent = me.displayName;
  $('me-username').textContent = `@${me.username}`;
  const av = $('me-avatar');
  av.className = avatarClass(me.id);
  av.textContent = initials(me.displayName);
}

export function openProfile() {
  const me = state.me;
  $('profile-display-name').value = me.displayName;
  for (const radio of document.querySelectorAll('input[name=groupInvites]'))
    radio.checked = radio.value === (me.groupInvites ?? 'everyone');
  $('profile-form')
    .querySelectorAll('[data-error-for]')
    .forEach((el) => (el.textContent = ''));
  $('profile-status').textContent = '';
  renderProfile();
  $('profile-dialog').showModal();
  void api('GET', '/telegram/link').then(renderTelegram, () => undefined);
}

function renderProfile() {
  const me = state.me;
  if (!me) return;
  renderMe();
  const av = $('profile-avatar');
  av.className = `${avatarClass(me.id)} large`;
  av.textContent = initials(me.displayName);
  $('profile-name').textContent = me.displayName;
  $('profile-username').textContent = `@${me.username}`;
  $('profile-email').textContent = me.email ?? '';
  const editable = canEditProfile();
  // Older servers cannot change the profile: the panel then only shows it.
  $('profile-form').hidden = !editable;
  renderNotifications();
}

function renderNotifications() {
  const status = notificationStatus();
  const button = $('notify-toggle');
  button.hidden = status === 'unsupported' || status === 'blocked';
  button.textContent = status === 'on' ? 'Turn off desktop notifications' : 'Turn on desktop notifications';
  button.setAttribute('aria-pressed', String(status === 'on'));
  $('notify-status').textContent =
    status === 'unsupported'
      ? 'This browser cannot show desktop notifications.'
      : status === 'blocked'
        ? 'Notifications are blocked for this site in the browser settings.'
        : status === 'on'
          ? 'On: new messages in chats you are not looking at show a notification (muted chats stay quiet).'
          : 'Off.';
}

export function renderTelegram(status) {
  // `available` is false when the server has no bot; an older server does not say (undefined): offer it.
  const offered = status.available !== false;
  $('telegram-status').textContent = status.linked
    ? `Connected${status.telegramUsername ? ` as @${status.telegramUsername}` : ''}. ✓`
    : offered
      ? ''
      : 'Telegram notifications are not set up on this server.';
  $('telegram-connect').hidden = status.linked || !offered;
  $('telegram-disconnect').hidden = !status.linked;
  if (status.linked) $('telegram-link').hidden = true;
}

export function bindProfile({ logout }) {
  logoutAction = logout;
  $('profile-open').addEventListener('click', openProfile);
  $('profile-close').addEventListener('click', () => $('profile-dialog').close());
  $('profile-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = $('profile-form');
    form.querySelectorAll('[data-error-for]').forEach((el) => (el.textContent = ''));
    const displayName = $('profile-display-name').value.trim();
    if (!displayName) {
      form.querySelector('[data-error-for=displayName]').textContent = 'Enter the name people see.';
      return;
    }
    const groupInvites = form.querySelector('input[name=groupInvites]:checked')?.value;
    const patch = {};
    if (displayName !== state.me.displayName) patch.displayName = displayName;
    if (groupInvites && groupInvites !== state.me.groupInvites) patch.groupInvites = groupInvites;
    if (!Object.keys(patch).length) return void ($('profile-status').textContent = 'Nothing to save.');
    try {
      await sync.updateProfile(patch);
      $('profile-status').textContent = 'Saved.';
      invalidate('dialogs', 'chats');
    } catch (err) {
      const fields = fieldErrors(err);
      for (const [field, text] of fields) {
        const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
        if (slot) slot.textContent = text;
      }
      if (!fields.size) $('profile-status').textContent = describeError(err);
    }
  });
  $('notify-toggle').addEventListener('click', async () => {
    await setNotifications(notificationStatus() !== 'on');
    renderNotifications();
  });
  $('telegram-connect').addEventListener('click', async () => {
    try {
      const { url, expiresAt } = await api('POST', '/telegram/link');
      const link = $('telegram-link');
      if (new URL(url).protocol !== 'https:') throw new Error('unexpected link');
      link.href = url;
      link.textContent = `Open the bot in Telegram and press Start (link valid until ${new Date(expiresAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })})`;
      link.hidden = false;
      link.focus();
    } catch (err) {
      $('telegram-status').textContent = describeError(err);
    }
  });
  $('telegram-disconnect').addEventListener('click', async () => {
    try {
      await api('DELETE', '/telegram/link');
      renderTelegram({ linked: false });
    } catch (err) {
      $('telegram-status').textContent = describeError(err);
    }
  });
  $('logout').addEventListener('click', () => logoutAction());
  onRender('dialogs', () => {
    renderMe();
    if ($('profile-dialog').open) renderProfile();
  });
}
