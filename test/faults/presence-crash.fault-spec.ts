import { TestUser } from '../support/http';
import { connectSocket, TestSocket } from '../support/sockets';
import { printFigures } from './support/guarantees';
import { sleep } from './support/scenario';
import { FaultStack } from './support/stack';

const HEARTBEAT_TTL_MS = 3000;
/**
 * The dead instance's heartbeat expires after the TTL; a sweep (whose period should scale with the TTL) then
 * announces its users: 5 TTLs here. With the default TTL the contract's bound is ~60 s.
 */
const OFFLINE_BOUND_MS = 5 * HEARTBEAT_TTL_MS;
/** After the first offline event, long enough for every surviving instance to have swept a few times. */
const WATCH_FOR_DUPLICATES_MS = 5000;

/**
 * A user connected only to instance A, a contact connected to B, and a third instance C: A dies (SIGKILL).
 * Its sockets cannot say goodbye, so the survivors must notice the dead instance and announce the user
 * offline, once cluster-wide (B and C both run the sweeper).
 */
describe('presence after an instance crash', () => {
  let stack: FaultStack | undefined;
  let user: TestUser;
  let contact: TestUser;
  let watcher: TestSocket | undefined;
  let userConnectedAt = 0;
  let killAt = 0;
  let offline: { at: number; payload: any } | undefined;
  let offlineEvents: any[] = [];
  let rest: any;

  beforeAll(async () => {
    stack = await FaultStack.start({ apis: 3, env: { PRESENCE_INSTANCE_TTL_MS: String(HEARTBEAT_TTL_MS) } });
    const [a, b] = stack.apis;
    user = await stack.register('gone');
    contact = await stack.register('watch');
    await contact.api.post('/chats/direct', { userId: user.id });
    watcher = await connectSocket(b.url, contact.accessToken);
    userConnectedAt = Date.now();
    const userSocket = await connectSocket(a.url, user.accessToken);
    await watcher.waitFor('presence', (p) => p.userId === user.id && p.online === true, 5000);

    killAt = Date.now();
    await a.proc.kill();
    userSocket.close();
    try {
      const payload = await watcher.waitFor(
        'presence',
        (p) => p.userId === user.id && p.online === false,
        OFFLINE_BOUND_MS,
      );
      offline = { at: Date.now(), payload };
      await sleep(WATCH_FOR_DUPLICATES_MS);
    } catch {
      /* asserted below */
    }
    offlineEvents = watcher.received('presence', (p) => p.userId === user.id && p.online === false);
    rest = (await b.api.as(contact.accessToken).get(`/users/${user.id}`)).body;
  }, 90_000);
  afterAll(async () => {
    printFigures('presence after SIGKILL', {
      offlineAfterMs: offline ? offline.at - killAt : null,
      offlineEvents: offlineEvents.length,
    });
    watcher?.close();
    await stack?.close();
  }, 60_000);

  it(`sends the contact presence { online: false, lastSeenAt } within ${OFFLINE_BOUND_MS / 1000} s`, () => {
    expect(offline?.payload).toEqual({ userId: user.id, online: false, lastSeenAt: expect.any(String) });
    const lastSeen = Date.parse(offline!.payload.lastSeenAt);
    expect(lastSeen).toBeGreaterThanOrEqual(userConnectedAt - 1000);
    expect(lastSeen).toBeLessThanOrEqual(offline!.at);
  });

  it('sends it exactly once, cluster-wide', () => {
    expect(offlineEvents).toHaveLength(1);
  });

  it('agrees on REST: GET /users/:id says offline', () => {
    expect(rest).toMatchObject({ id: user.id, online: false });
  });
});
