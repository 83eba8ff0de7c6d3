import { passwordProblem } from './password-policy';

describe('passwordProblem', () => {
  const account = { username: 'dave_smith', email: 'dave@example.com' };
  it.each([
    ['correct-horse-battery', null],
    ['naïve-café-olé', null],
    ['short-pw', /at least 10 characters/],
    ['1234567890', /most common/], // in the list and long enough
    ['QwertyUiop', /most common/], // compared without case
    ['Dave_Smith', /same as your username or email/],
    ['dave@example.com', /same as your username or email/],
    ['x'.repeat(72), null],
    ['x'.repeat(73), /at most 72 bytes/],
    ['é'.repeat(37), /at most 72 bytes/], // 37 characters, 74 bytes
  ])('%j', (password, expected) => {
    const problem = passwordProblem(password, account);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});
