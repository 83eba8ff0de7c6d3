import { mockOf } from '../../test/unit/mocks';
import { AccessService } from '../chats/access.service';
import { ChatsRepository } from '../chats/chats.repository';
import { MembershipService } from '../chats/membership.service';
import { EventBus } from '../common/events';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { Transactions, Tx } from '../database/transactions';
import { ChatViews } from '../inbox/chat-views';
import { DeliveryOutbox } from '../messages/delivery-outbox';
import { Message, MessagesRepository } from '../messages/messages.repository';
import { RateLimiter } from '../redis/rate-limiter';
import { UsersService } from '../users/users.service';
import { GroupsRepository } from './groups.repository';
import { GroupsService } from './groups.service';

const OWNER = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CHAT = '00000000-0000-4000-8000-0000000000c1';
const ENTRY = 'batch-1|1|m1';

function setup() {
  const [groups, chats, transactions, access, membership, users, views, events, messages, outbox, limiter] = [
    mockOf<GroupsRepository>(),
    mockOf<ChatsRepository>(),
    mockOf<Transactions>(),
    mockOf<AccessService>(),
    mockOf<MembershipService>(),
    mockOf<UsersService>(),
    mockOf<ChatViews>(),
    mockOf<EventBus>(),
    mockOf<MessagesRepository>(),
    mockOf<DeliveryOutbox>(),
    mockOf<RateLimiter>(),
  ];
  const config = { groupMaxMembers: 1000 } as AppConfig;
  const service = new GroupsService(
    config,
    groups,
    chats,
    transactions,
    access,
    membership,
    users,
    views,
    events,
    messages,
    outbox,
    limiter,
  );
  users.contactsOnly.mockResolvedValue([]);
  limiter.take.mockResolvedValue(null);
  outbox.record.mockResolvedValue(ENTRY);
  transactions.run.mockImplementation((work) => work({} as Tx));
  chats.insertGroupChat.mockResolvedValue(CHAT);
  groups.insert.mockResolvedValue({ id: 'g1', chatId: CHAT, name: 'Team', ownerId: OWNER } as never);
  messages.insertSystem.mockResolvedValue({ id: 'm1', chatId: CHAT, seq: 1 } as Message);
  return { service, chats, views, events, outbox, groups, membership, access, limiter };
}

describe('GroupsService: the service message of a committed change always reaches the outbox’s hands', () => {
  it('post-commit work failing (PostgreSQL gone) releases the entry to the sweepers, which publish it', async () => {
    const t = setup();
    t.views.forMembers.mockRejectedValue(new Error('Connection terminated'));
    await expect(t.service.create(OWNER, 'Team', [BOB])).rejects.toThrow('Connection terminated');
    expect(t.events.emit).not.toHaveBeenCalledWith('messages.created', expect.anything());
    expect(t.outbox.release).toHaveBeenCalledWith(ENTRY);
    expect(t.outbox.ack).not.toHaveBeenCalled(); // committed: a sweeper must still publish it
  });

  it('the transaction failing with an outage releases the entry; a refusal (nothing stored) clears it', async () => {
    const t = setup();
    t.outbox.ack.mockResolvedValue(undefined);
    const gone = Object.assign(new Error('terminating connection'), { code: '57P01' });
    t.chats.insertGroupChat.mockRejectedValueOnce(gone);
    await expect(t.service.create(OWNER, 'Team', [BOB])).rejects.toBe(gone);
    expect(t.outbox.release).toHaveBeenCalledWith(ENTRY);
    expect(t.outbox.ack).not.toHaveBeenCalled();

    t.chats.insertGroupChat.mockRejectedValueOnce(new Error('a bug, not an outage'));
    await expect(t.service.create(OWNER, 'Team', [BOB])).rejects.toThrow('a bug');
    expect(t.outbox.ack).toHaveBeenCalledWith(ENTRY);
  });

  it('a lost race (deadlock) rolled the transaction back: the entry is cleared at once, not left to a sweeper', async () => {
    const t = setup();
    t.outbox.ack.mockResolvedValue(undefined);
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    t.chats.insertGroupChat.mockRejectedValueOnce(deadlock);
    await expect(t.service.create(OWNER, 'Team', [BOB])).rejects.toBe(deadlock);
    expect(t.outbox.ack).toHaveBeenCalledWith(ENTRY);
    expect(t.outbox.release).not.toHaveBeenCalled();
  });
});

describe('GroupsService: the invite budget is spent only by calls that put someone in', () => {
  const CAROL = '00000000-0000-4000-8000-00000000000c';
  const GROUP = { id: 'g1', chatId: CHAT, name: 'Team', creatorId: OWNER, createdAt: new Date() } as never;

  function withGroup(members: { userId: string; role: 'owner' | 'admin' | 'member' }[]) {
    const t = setup();
    t.groups.findById.mockResolvedValue(GROUP);
    t.groups.findAndLock.mockResolvedValue(GROUP);
    t.membership.members.mockResolvedValue(members);
    t.limiter.refund.mockResolvedValue(undefined);
    t.outbox.ack.mockResolvedValue(undefined);
    return t;
  }

  it("a plain member's call is not charged (the change refuses it)", async () => {
    const t = withGroup([
      { userId: OWNER, role: 'owner' },
      { userId: BOB, role: 'member' },
    ]);
    t.chats.roles.mockResolvedValue(new Map([[BOB, 'member']]));
    t.access.requireGroupRole.mockImplementation(() => {
      throw new AppError('FORBIDDEN', 'Only the owner or an admin can do this');
    });
    await expect(t.service.addMembers(BOB, 'g1', [CAROL])).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(t.limiter.take).not.toHaveBeenCalled();
  });

  it('naming members only is not charged', async () => {
    const t = withGroup([
      { userId: OWNER, role: 'owner' },
      { userId: BOB, role: 'member' },
    ]);
    t.chats.roles.mockResolvedValue(
      new Map<string, any>([
        [OWNER, 'owner'],
        [BOB, 'member'],
      ]),
    );
    t.chats.addMembers.mockResolvedValue([]);
    await t.service.addMembers(OWNER, 'g1', [BOB]);
    expect(t.limiter.take).not.toHaveBeenCalled();
  });

  it('charged, then the change fails or finds everyone already in: the unit is given back', async () => {
    const t = withGroup([{ userId: OWNER, role: 'owner' }]);
    t.groups.findAndLock.mockRejectedValueOnce(new Error('a bug, not an outage'));
    await expect(t.service.addMembers(OWNER, 'g1', [CAROL])).rejects.toThrow('a bug');
    expect(t.limiter.take).toHaveBeenCalledTimes(1);
    expect(t.limiter.refund).toHaveBeenCalledWith([`group-invites:${OWNER}`]);

    // Carol joined through someone else between the check and the lock: nobody is added by this call.
    t.chats.roles.mockResolvedValue(
      new Map<string, any>([
        [OWNER, 'owner'],
        [CAROL, 'member'],
      ]),
    );
    t.chats.addMembers.mockResolvedValue([]);
    await t.service.addMembers(OWNER, 'g1', [CAROL]);
    expect(t.limiter.take).toHaveBeenCalledTimes(2);
    expect(t.limiter.refund).toHaveBeenCalledTimes(2);
  });
});
