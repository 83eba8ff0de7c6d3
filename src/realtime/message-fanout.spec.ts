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

  it('keeps trying, further apart each time, until the catch-up has run (PostgreSQL back long after Redis)', async () => {
    jest.useFakeTimers();
    try {
      const sub = Object.assign(new EventEmitter(), {
        status: 'ready',
        subscribe: jest.fn().mockResolvedValue(1),
      });
      const emit = jest.fn();
      const server = {
        of: () => ({ adapter: { rooms: new Map([['user:u1', new Set(['s1'])]]) } }),
        local: { to: () => ({ emit }) },
      } as unknown as Server;
      const missed = { message: { id: 'm1' }, recipientIds: ['u1'] };
      const recent = jest.fn().mockRejectedValue(new Error('Connection terminated'));
      const fanout = new MessageFanout(server, {} as Redis, sub as unknown as Redis, 'chan', 'me', recent);
      await fanout.start();
      sub.emit('close');
      sub.emit('ready');
      const calls: number[] = [];
      for (let second = 1; second <= 40; second++) {
        if (second === 35) recent.mockResolvedValue([missed]);
        await jest.advanceTimersByTimeAsync(1000);
        calls.push(recent.mock.calls.length);
      }
      // Attempts at 0, 1, 3, 7, 15 and 31 s (pauses 1, 2, 4, 8, 16 s), then every 30 s: the seventh, at 61 s,
      // would be too late for this loop; the one at 31 s failed, so it is not done yet.
      expect(calls[0]).toBe(2);
      expect(calls[2]).toBe(3);
      expect(calls[6]).toBe(4);
      expect(calls[14]).toBe(5);
      expect(calls[30]).toBe(6);
      expect(emit).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(30_000);
      expect(recent).toHaveBeenCalledTimes(7);
      expect(emit).toHaveBeenCalledWith('message:new', missed.message);
      await jest.advanceTimersByTimeAsync(120_000);
      expect(recent).toHaveBeenCalledTimes(7); // done: no more attempts
      fanout.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
