import { twoInstances } from './support/app';
import { registerUser } from './support/http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids in error bodies', () => {
  const env = twoInstances();

  it('an error body carries the requestId that X-Request-Id names', async () => {
    const missingToken = await env.apiA.get('/users/me');
    expect(missingToken.status).toBe(401);
    expect(missingToken.body.requestId).toMatch(UUID);
    expect(missingToken.body.requestId).toBe(missingToken.headers.get('x-request-id'));

    const alice = await registerUser(env.apiA, 'alice');
    const unknownUser = await alice.api.get('/users/00000000-0000-4000-8000-000000000000');
    expect(unknownUser.status).toBe(404);
    expect(unknownUser.body).toMatchObject({
      code: 'USER_NOT_FOUND',
      requestId: expect.stringMatching(UUID),
    });
    expect(unknownUser.body.requestId).toBe(unknownUser.headers.get('x-request-id'));
    expect(unknownUser.body.requestId).not.toBe(missingToken.body.requestId);
  });

  it('a sane incoming X-Request-Id is echoed in the header and the body; anything else is replaced', async () => {
    const given = await env.apiA.get('/users/me', { 'x-request-id': 'edge-7f3a.retry_2' });
    expect(given.status).toBe(401);
    expect(given.headers.get('x-request-id')).toBe('edge-7f3a.retry_2');
    expect(given.body.requestId).toBe('edge-7f3a.retry_2');

    for (const insane of ['has spaces', 'x'.repeat(129), 'semi;colon']) {
      const res = await env.apiA.get('/users/me', { 'x-request-id': insane });
      expect({ insane, requestId: res.body.requestId }).toEqual({
        insane,
        requestId: expect.stringMatching(UUID),
      });
      expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
    }
  });

  it('also for requests refused before the request logger saw them (an unreadable body)', async () => {
    const malformed = await env.apiA.post('/auth/login', '{"login": ', { 'x-request-id': 'bad-body-1' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'MALFORMED_JSON', requestId: 'bad-body-1' });
    expect(malformed.headers.get('x-request-id')).toBe('bad-body-1');

    const generated = await env.apiA.post('/auth/login', '{"login": ');
    expect(generated.body.requestId).toMatch(UUID);
    expect(generated.headers.get('x-request-id')).toBe(generated.body.requestId);
  });
});
