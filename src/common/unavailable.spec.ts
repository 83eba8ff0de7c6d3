import { QueryFailedError } from 'typeorm';
import { AppError } from './app-error';
import { isLostRace, isOutage, isUnavailable, UnavailableError } from './unavailable';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('isUnavailable: an outage or a lost race (503, retry) rather than a bug (500) or a bad request', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['admin shutdown', pgError('57P01')],
    ['statement timeout', pgError('57014')],
    ['read-only after a failover', pgError('25006')],
    ['serialization failure', pgError('40001')],
    ['deadlock', pgError('40P01')],
    ['ioredis command timeout', new Error('Command timed out')],
    ['wrapped by TypeORM', new QueryFailedError('SELECT 1', [], pgError('40P01'))],
    ['raised by the app', new UnavailableError('fenced')],
  ])('%s: yes', (_what, err) => expect(isUnavailable(err)).toBe(true));

  it.each([
    ['unique violation', pgError('23505')],
    ['foreign key violation', new QueryFailedError('INSERT', [], pgError('23503'))],
    ['syntax error (a bug)', pgError('42601')],
    ['an answer to the client', new AppError('NOT_A_MEMBER', 'no')],
    ['a plain bug', new TypeError('x is undefined')],
  ])('%s: no', (_what, err) => expect(isUnavailable(err)).toBe(false));

  it('tells a lost race (deadlock, serialization failure) from an outage', () => {
    expect(isLostRace(pgError('40P01'))).toBe(true);
    expect(isLostRace(new QueryFailedError('UPDATE', [], pgError('40001')))).toBe(true);
    expect(isLostRace(pgError('57P01'))).toBe(false);
    expect(isLostRace(new Error('Command timed out'))).toBe(false);
    // An outage is what is left: the server is away, not just this transaction unlucky.
    expect(isOutage(pgError('40P01'))).toBe(false);
    expect(isOutage(pgError('57P01'))).toBe(true);
    expect(isOutage(new Error('Command timed out'))).toBe(true);
    expect(isOutage(pgError('23505'))).toBe(false);
  });
});
