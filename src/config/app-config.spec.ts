import { ConfigError, DEV_JWT_SECRET, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBe('postgres://postgres:postgres@localhost:5432/messenger');
    expect(config.redisUrl).toBe('redis://localhost:6379');
    expect(config.accessTokenTtlSec).toBe(15 * 60);
    expect(config.refreshTokenTtlSec).toBe(30 * 24 * 3600);
    expect(config.notifyDelayMs).toBe(10000);
    expect(config.throttle).toEqual({
      authPerMinute: 20,
      sendPer10s: 100,
      loginFailuresPerAccountIp: 10,
      loginFailuresPerAccount: 100,
    });
    expect(config.trustProxy).toBe(false); // nobody's X-Forwarded-For is believed unless configured
    expect(config.docsEnabled).toBe(true);
    expect(config.groupMaxMembers).toBe(1000);
    expect(config.maxSocketsPerUser).toBe(20);
    expect(config.telegram.apiRoot).toBe('https://api.telegram.org');
    expect(config.telegram.botToken).toBeUndefined();
    expect(config.jwtSecret).toBe(DEV_JWT_SECRET);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['NOTIFY_DELAY_MS', '-5'],
    ['THROTTLE_SEND_PER_10S', '0'],
    ['TELEGRAM_BOT_TOKEN', 'nonsense'],
    ['NODE_ENV', 'staging'],
    ['TRUST_PROXY', 'loopback,not-an-address'],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['DOCS_ENABLED', 'maybe'],
    ['GROUP_MAX_MEMBERS', '1'],
  ])('names %s when it is wrong (%s)', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });

  it('reads TRUST_PROXY as nobody, a hop count, or a list of addresses, CIDRs and names', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '172.28.0.0/24, loopback' }).trustProxy).toEqual([
      '172.28.0.0/24',
      'loopback',
    ]);
  });

  it('refuses production without a real JWT_SECRET', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).jwtSecret).toBe('x'.repeat(40));
  });

  it('parses durations in seconds or with units', () => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: '90' }).accessTokenTtlSec).toBe(90);
    expect(loadConfig({ REFRESH_TOKEN_TTL: '2h' }).refreshTokenTtlSec).toBe(7200);
  });
});
