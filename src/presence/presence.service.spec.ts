import { ChatsRepository } from '../chats/chats.repository';
import { EventBus } from '../common/events';
import { AppConfig } from '../config/app-config';
import { UsersService } from '../users/users.service';
import { mockOf } from '../../test/unit/mocks';
import { OFFLINE_GRACE_MS, PresenceService } from './presence.service';
import { PresenceStore } from './presence.store';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('PresenceService announcements', () => {
  function setup() {
    const store = mockOf<PresenceStore>();
    const users = mockOf<UsersService>();
    const chats = mockOf<ChatsRepository>();
    const events = mockOf<EventBus>();
    store.connect.mockResolvedValue({ cameOnline: true, evicted: [] });
    users.touchLastSeen.mockResolvedValue(new Map());
    users.lastSeen.mockResolvedValue(new Map());
    const config = { maxSocketsPerUser: 20, instanceTtlMs: 15_000 } as AppConfig;
    const service = new PresenceService(config, store, users, chats, events);
    return { service, chats, events, store };
  }

  it('in a connection storm, one contacts query at a time: what comes meanwhile goes in the next, bigger one', async () => {
    const { service, chats, events } = setup();
    const answers: ((value: Map<string, string[]>) => void)[] = [];
    chats.contactsOf.mockImplementation(() => new Promise((resolve) => answers.push(resolve)));

    const first = service.socketConnected('u1', 's1');
    await turn();
    await turn();
    const later = ['u2', 'u3', 'u4'].map((u, i) => service.socketConnected(u, `s${i + 2}`));
    for (let i = 0; i < 5; i++) await turn();
    expect(chats.contactsOf.mock.calls).toEqual([[['u1']]]); // still only the first, in flight

    answers[0](new Map([['u1', ['friend']]]));
    await first;
    for (let i = 0; i < 5; i++) await turn();
    expect(chats.contactsOf.mock.calls).toEqual([[['u1']], [['u2', 'u3', 'u4']]]);
    answers[1](new Map());
    await Promise.all(later);
    expect(events.emit).toHaveBeenCalledTimes(4);
    expect(events.emit).toHaveBeenCalledWith(
      'presence.changed',
      expect.objectContaining({ userId: 'u1', online: true, recipientIds: ['friend'] }),
    );
  });

  it('a last socket closing is announced offline after a grace, unless the user is back by then', async () => {
    jest.useFakeTimers();
    try {
      const { service, chats, events, store } = setup();
      chats.contactsOf.mockResolvedValue(new Map([['u1', ['friend']]]));
      store.disconnect.mockResolvedValue(true); // the last socket of u1
      store.isOnline.mockResolvedValue(false);
      // A reload: closed, and back within the grace on this instance. Contacts hear nothing.
      await service.socketDisconnected('u1', 's1');
      await jest.advanceTimersByTimeAsync(OFFLINE_GRACE_MS - 500);
      await service.socketConnected('u1', 's2');
      await jest.advanceTimersByTimeAsync(OFFLINE_GRACE_MS * 2);
      expect(events.emit).not.toHaveBeenCalled();

      // Gone for good: offline once the grace has passed.
      await service.socketDisconnected('u1', 's2');
      await jest.advanceTimersByTimeAsync(OFFLINE_GRACE_MS - 100);
      expect(events.emit).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(200);
      expect(events.emit).toHaveBeenCalledWith(
        'presence.changed',
        expect.objectContaining({ userId: 'u1', online: false, recipientIds: ['friend'] }),
      );

      // Back on another instance meanwhile (which said online): this one says nothing.
      events.emit.mockClear();
      store.isOnline.mockResolvedValue(true);
      await service.socketDisconnected('u2', 's3');
      await jest.advanceTimersByTimeAsync(OFFLINE_GRACE_MS + 100);
      expect(events.emit).not.toHaveBeenCalled();
    } finally {
      jest.useRealTimers();
    }
  });
});
