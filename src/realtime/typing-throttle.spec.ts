import { TYPING_INTERVAL_MS, TypingThrottle } from './typing-throttle';

describe('TypingThrottle', () => {
  it('relays "typing" once per interval and "stopped" only after a relayed "typing"', () => {
    const t = new TypingThrottle();
    expect(t.allow('c', false, 0)).toBe(false); // nothing to clear
    expect(t.allow('c', true, 0)).toBe(true);
    expect(t.allow('c', true, 10)).toBe(false);
    expect(t.allow('c', false, 20)).toBe(true);
    expect(t.allow('c', false, 30)).toBe(false);
    expect(t.allow('c', true, 40)).toBe(false); // still within the interval of the last "typing"
    expect(t.allow('c', true, TYPING_INTERVAL_MS)).toBe(true);
    expect(t.allow('other', true, 10)).toBe(true); // per chat
  });

  it('a flood alternating true/false is relayed about twice a second', () => {
    const t = new TypingThrottle();
    let relayed = 0;
    for (let i = 0; i < 300; i++) if (t.allow('c', i % 2 === 0, i * 10)) relayed++; // 300 notices in 3 s
    expect(relayed).toBeLessThanOrEqual(6);
    expect(relayed).toBeGreaterThanOrEqual(4);
  });
});
