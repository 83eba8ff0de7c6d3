import type { Cache } from 'cache-manager';
import type Redis from 'ioredis';
import { VersionedCache } from './versioned-cache';

describe('VersionedCache.invalidate when Redis fails to take it', () => {
  it('does not fail its caller (the change is committed) and tries again each second until it succeeds', async () => {
    jest.useFakeTimers();
    try {
      const incr = jest
        .fn()
        .mockRejectedValueOnce(new Error('Command timed out'))
        .mockRejectedValueOnce(new Error('Connection is closed.'))
        .mockResolvedValue(1);
      const del = jest.fn().mockResolvedValue(true);
      const cache = new VersionedCache({ del } as unknown as Cache, { incr } as unknown as Redis);
      await expect(cache.invalidate('chat-members:c1')).resolves.toBeUndefined();
      expect(incr).toHaveBeenCalledTimes(1);
      expect(del).not.toHaveBeenCalled();

      await jest.advanceTimersByTimeAsync(1000); // second attempt fails too
      expect(incr).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(1000); // third succeeds: version bumped, entry deleted
      expect(incr).toHaveBeenCalledTimes(3);
      expect(incr).toHaveBeenLastCalledWith('chat-members:c1:version');
      expect(del).toHaveBeenCalledWith('chat-members:c1');
      await jest.advanceTimersByTimeAsync(10_000);
      expect(incr).toHaveBeenCalledTimes(3); // done: nothing left to retry
      cache.onModuleDestroy();
    } finally {
      jest.useRealTimers();
    }
  });

  it('one round at a time: a round waiting for a slow Redis is not joined by another each second', async () => {
    jest.useFakeTimers();
    try {
      let answer!: () => void;
      const incr = jest
        .fn()
        .mockRejectedValueOnce(new Error('Command timed out'))
        .mockImplementationOnce(() => new Promise<void>((resolve) => (answer = resolve)))
        .mockResolvedValue(1);
      const cache = new VersionedCache({ del: jest.fn() } as unknown as Cache, { incr } as unknown as Redis);
      await cache.invalidate('k');
      await jest.advanceTimersByTimeAsync(5000); // the round from 1 s waits; 2, 3, 4 and 5 s start none
      expect(incr).toHaveBeenCalledTimes(2);
      answer();
      await jest.advanceTimersByTimeAsync(3000);
      expect(incr).toHaveBeenCalledTimes(2); // that round succeeded: nothing pending
      cache.onModuleDestroy();
    } finally {
      jest.useRealTimers();
    }
  });
});
