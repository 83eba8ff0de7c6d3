import { EventEmitter } from 'events';
import type Redis from 'ioredis';
import type { Server } from 'socket.io';
import { MessageFanout } from './message-fanout';

describe('MessageFanout catch-up after a pub/sub gap', () => {
  it('after a failed attempt, looks back from the earliest loss, even if the connection dropped again meanwhile', async () => {
    const sub = Object.assign(new EventEmitter(), {
      status: 'ready',
      subscribe: jest.fn().mockResolvedValue(1),
    });
    const server = {
      of: () => ({ adapter: { rooms: new Map([['user:u1', new Set(['s1'])]]) } }),
      local: { to: () => ({ emit: jest.fn() }) },
    } as unknown as Server;
    let now = 100_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const recent = jest
      .fn()
      .mockImplementationOnce(async () => {
        now = 200_000;
        sub.emit('close'); // a second gap begins while the first catch-up is failing
        throw new Error('Connection terminated');
      })
      .mockResolvedValue([]);
    const fanout = new MessageFanout(server, {} as Redis, sub as unknown as Redis, 'chan', 'me', recent);
    await fanout.start();

    sub.emit('close'); // the first gap, at 100 s
    sub.emit('ready');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // one retry pause
    expect(recent).toHaveBeenCalledTimes(2);
    const [first, second] = recent.mock.calls.map(([users, since]: [string[], Date]) => ({
      users,
      since: since.getTime(),
    }));
    expect(first).toEqual({ users: ['u1'], since: 100_000 - 5000 });
    expect(second).toEqual({ users: ['u1'], since: 100_000 - 5000 });
    jest.restoreAllMocks();
  });
});
