// Errors the client meets, and the words it shows for them: never a validator's phrase like
// "password must be a string", never a bare status code.

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? null;
    this.code = body?.code ?? null;
    this.details = body?.details;
    this.retryAfter = retryAfter ?? body?.retryAfter ?? null;
  }
}

/** The request never reached the server (offline, DNS, connection refused). */
export class NetworkError extends Error {
  constructor() {
    super("Can't reach the server");
  }
}

/** The session is gone for good (refresh refused): the user has to log in again. */
export class SignedOutError extends Error {
  constructor(reason = 'expired') {
    super('Signed out');
    this.reason = reason;
  }
}

/** Worth retrying later without bothering the user: no network, or the server says it is briefly unavailable. */
export const isTransient = (err) =>
  err instanceof NetworkError ||
  (err instanceof ApiError &&
    (err.status === 502 ||
      err.status === 503 ||
      err.status === 504 ||
      err.code === 'SERVICE_UNAVAILABLE' ||
      err.code === 'UNAVAILABLE'));

/** Worth waiting out on start-up: anything but a verdict on the session (a 5xx is the server's trouble). */
export const isServerTrouble = (err) => isTransient(err) || (err instanceof ApiError && err.status >= 500);

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX_BYTES = 72;

const seconds = (n) => `${n} second${n === 1 ? '' : 's'}`;

/** One sentence for any error, for a form's general error line or a toast. */
export function describeError(err) {
  if (err instanceof NetworkError) return "Can't reach the server. Check your connection and try again.";
  if (err instanceof SignedOutError) return 'Your session has ended. Please log in again.';
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (err.code) {
    case 'RATE_LIMITED':
      return `Too many attempts. Try again in ${seconds(Math.max(1, Math.ceil(err.retryAfter ?? 60)))}.`;
    case 'SERVICE_UNAVAILABLE':
    case 'UNAVAILABLE':
      return 'The server is temporarily unavailable. Please try again in a moment.';
    case 'INVALID_CREDENTIALS':
      return 'Wrong username, email or password.';
    case 'EMAIL_TAKEN':
      return 'This email is already registered. Log in instead?';
    case 'USERNAME_TAKEN':
      return 'This username is taken. Try another one.';
    case 'NOT_A_MEMBER':
      return 'You are no longer a member of this chat.';
    case 'CHAT_NOT_FOUND':
    case 'GROUP_NOT_FOUND':
      return 'This chat no longer exists, or you are not in it.';
    case 'USER_NOT_FOUND':
      return 'That person no longer has an account.';
    case 'MESSAGE_DELETED':
      return 'This message was deleted.';
    case 'MESSAGE_NOT_FOUND':
      return 'This message no longer exists.';
    case 'PAYLOAD_TOO_LARGE':
      return 'That is too long to send.';
    case 'TELEGRAM_UNAVAILABLE':
      return 'Telegram notifications are not set up on this server.';
    case 'VALIDATION_FAILED': {
      const words = [...fieldErrors(err).values()];
      return words.length ? words.join(' ') : 'Please check what you entered.';
    }
    default:
      if (err.status >= 500) return 'The server had a problem. Please try again.';
      // FORBIDDEN and friends carry a sentence written for people ("Only the owner or an admin can do this").
      return err.body?.message ?? 'Something went wrong. Please try again.';
  }
}

/** The API's `details` ([{ field, errors }]) as one friendly sentence per field. */
export function fieldErrors(err) {
  const result = new Map();
  const details = Array.isArray(err?.details) ? err.details : [];
  for (const d of details) {
    if (!d || typeof d.field !== 'string') continue;
    const raw = Array.isArray(d.errors) ? d.errors.join('; ') : String(d.errors ?? '');
    result.set(d.field, friendlyField(d.field, raw));
  }
  if (err?.code === 'EMAIL_TAKEN') result.set('email', describeError(err));
  if (err?.code === 'USERNAME_TAKEN') result.set('username', describeError(err));
  return result;
}

function friendlyField(field, raw) {
  const m = raw.toLowerCase();
  const missing = /must be a string|should not be empty|must not be empty|is required/.test(m);
  switch (field) {
    case 'email':
      return missing ? 'Enter your email address.' : 'Enter a valid email address, like name@example.com.';
    case 'username':
      return missing ? 'Choose a username.' : 'Use 3–32 letters, digits or underscores.';
    case 'login':
      return 'Enter your username or email.';
    case 'password':
      return friendlyPassword(m, missing);
    case 'displayName':
      return 'Use 1–64 characters for your name.';
    case 'name':
      return 'Give the group a name of 1–128 characters.';
    case 'text':
      return 'A message needs 1 to 4,096 characters.';
    case 'memberIds':
    case 'userIds':
      return 'Choose people from the list.';
    default:
      return missing ? 'This field is required.' : 'Please check this field.';
  }
}

function friendlyPassword(m, missing) {
  if (missing) return 'Enter a password.';
  if (/common|guess|breach|popular|known/.test(m))
    return 'This password is too common. Choose one that is harder to guess.';
  if (/username|email/.test(m)) return "Your password can't be your username or email.";
  if (/bytes|shorter than|at most|too long|maximum/.test(m))
    return `That password is too long: at most ${PASSWORD_MAX_BYTES} bytes (letters with accents and emoji take more than one).`;
  const min = m.match(/(?:longer than or equal to|at least|minimum of) (\d+)/);
  return `Use at least ${min ? min[1] : PASSWORD_MIN} characters.`;
}
