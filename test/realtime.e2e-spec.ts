import { RunningApp, startApp } from './support/app';
import { Api, registerUser, TestUser } from './support/http';
import { connectSocket, settle, TestSocket } from './support/sockets';

describe('realtime delivery across two instances', () => {
  let a: RunningApp;
  let b: RunningApp;
  let apiA: Api;
  let apiB: Api;
  const sockets: TestSocket[] = [];
  const connect = async (app: RunningApp, user: TestUser) => {
    const s = await connectSocket(app.url, user.accessToken);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(), startApp()]);
    apiA = new Api(a.url);
    apiB = new Api(b.url);
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('refuses a socket without a valid token', async () => {
    await expect(connectSocket(a.url, undefined)).rejects.toThrow(/Unauthorized/);
    await expect(connectSocket(a.url, 'nonsense')).rejects.toThrow(/Unauthorized/);
    const user = await registerUser(apiA);
    await user.api.post('/auth/logout');
    await expect(connectSocket(b.url, user.accessToken)).rejects.toThrow(/Unauthorized/);
  });

  it('a message sent on A reaches the recipient on B and the sender’s other socket, once each', async () => {
    const alice = await registerUser(apiA, 'alice');
    const bob = await registerUser(apiB, 'bob');
    const chat = (await alice.api.post('/chats/direct', { userId: bob.id })).body;
    const aliceSender = await connect(a, alice);
    const aliceOther = await connect(b, alice);
    const bobOnB = await connect(b, bob);
    const bobOnA = await connect(a, bob);

    const ack = await aliceSender.emitAck('message:send', {
      chatId: chat.id,
      text: '  hello bob  ',
      clientMsgId: 'm-1',
    });
    expect(ack.ok).toBe(true);
    expect(ack.data).toMatchObject({
      chatId: chat.id,
      seq: 1,
      senderId: alice.id,
      text: 'hello bob',
      read: false,
    });

    for (const s of [bobOnB, bobOnA, aliceOther]) {
      const msg = await s.waitFor('message:new', (m) => m.id === ack.data.id);
      expect(msg).toEqual(ack.data);
    }
    await settle();
    for (const s of [bobOnB, bobOnA, aliceOther]) expect(s.received('message:new')).toHaveLength(1);
    // The sending socket has its ack; it does not get the message a second time.
    expect(aliceSender.received('message:new')).toHaveLength(0);
  });
});
