/**
 * Unit-test doubles in the spirit of Immich's newTestService: every method of the dependency is a jest.fn,
 * created on first use, so a spec states only the calls its branch depends on.
 */
export function mockOf<T extends object>(): jest.Mocked<T> {
  const fns = new Map<PropertyKey, jest.Mock>();
  return new Proxy({} as jest.Mocked<T>, {
    get(_target, key) {
      if (key === 'then') return undefined; // not a thenable
      if (!fns.has(key)) fns.set(key, jest.fn());
      return fns.get(key);
    },
  });
}
