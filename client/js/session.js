// Where the tokens live between page loads.

const SESSION_KEY = 'messenger.session';

export const session = {
  get() {
    try {
      return JSON.parse(localStorage.getItem(SESSION_KEY)) ?? null;
    } catch {
      return null;
    }
  },
  set(tokens) {
    localStorage.setItem(SESSION_KEY, JSON.stringify(tokens));
  },
  clear() {
    localStorage.removeItem(SESSION_KEY);
  },
};
