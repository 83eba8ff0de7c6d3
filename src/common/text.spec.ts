import { hasInvisibleOrControl } from './text';

describe('hasInvisibleOrControl (display and group names)', () => {
  it.each([
    ['Alice', false],
    ['Алиса Смирнова', false],
    ['محمد', false],
    ['李小龍', false],
    ['Zoë 🚀', false],
    ['👩‍💻 dev', false], // ZWJ between two emoji builds one glyph
    ['👨‍👩‍👧', false],
    ['Ad\u202emin', true], // right-to-left override
    ['Ad\u2066min\u2069', true], // isolate
    ['Ad\u200fmin', true], // right-to-left mark
    ['Ad\u200bmin', true], // zero-width space
    ['A\u200dB', true], // ZWJ between letters hides nothing legitimate
    ['\ufeffAlice', true],
    ['Al\u0007ice', true], // BEL
    ['line\nbreak', true],
    ['tab\there', true],
  ])('%j -> %s', (value, expected) => {
    expect(hasInvisibleOrControl(value)).toBe(expected);
  });
});
