import { mockOf } from '../../test/unit/mocks';
import { AccessService } from '../chats/access.service';
import { ChatsRepository } from '../chats/chats.repository';
import { MembershipService } from '../chats/membership.service';
import { EventBus } from '../common/events';
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
  return { service, chats, views, events, outbox };
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
