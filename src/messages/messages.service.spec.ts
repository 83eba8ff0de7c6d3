import { mockOf } from '../../test/unit/mocks';
import { AccessService } from '../chats/access.service';
import { ChatsRepository } from '../chats/chats.repository';
import { MembershipService } from '../chats/membership.service';
import { AppError, ErrorCode } from '../common/app-error';
import { EventBus } from '../common/events';
import { Message, MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { SendRateLimiter } from './send-rate-limiter';

const CHAT = '00000000-0000-4000-8000-0000000000c1';
const ALICE = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';

const stored = (over: Partial<Message> = {}): Message => ({
  id: '00000000-0000-4000-8000-0000000000f1',
  chatId: CHAT,
  seq: 7,
  senderId: ALICE,
  clientMsgId: 'c-1',
  text: 'hello',
  createdAt: new Date('2026-12-01T10:00:00Z'),
  editedAt: null,
  deletedAt: null,
  ...over,
});

function setup() {
  const messages = mockOf<MessagesRepository>();
  const chats = mockOf<ChatsRepository>();
  const membership = mockOf<MembershipService>();
  const access = mockOf<AccessService>();
  const rateLimiter = mockOf<SendRateLimiter>();
  const events = mockOf<EventBus>();
  const service = new MessagesService(messages, chats, membership, access, rateLimiter, events);
  rateLimiter.take.mockResolvedValue(null);
  chats.readAllSeq.mockResolvedValue(3);
  return { service, messages, chats, membership, access, rateLimiter, events };
}

const expectCode = (promise: Promise<unknown>, code: ErrorCode) =>
  expect(promise).rejects.toMatchObject({ code } satisfies Partial<AppError>);

describe('MessagesService.send', () => {
  it('stores a new message, emits it once to every member, and reads it as unread by the others', async () => {
    const t = setup();
    t.messages.insert.mockResolvedValue({ kind: 'inserted', message: stored(), memberIds: [ALICE, BOB] });
    const result = await t.service.send(ALICE, CHAT, { text: 'hello', clientMsgId: 'c-1' }, 'socket-1');
    expect(result).toMatchObject({ created: true, message: { seq: 7, read: false } });
    expect(t.events.emit).toHaveBeenCalledTimes(1);
    expect(t.events.emit).toHaveBeenCalledWith('message.created', {
      message: result.message,
      recipientIds: [ALICE, BOB],
      originSocketId: 'socket-1',
    });
    expect(t.rateLimiter.refund).not.toHaveBeenCalled();
  });

  it('a saved-messages chat (only the sender) reads its new message as read', async () => {
    const t = setup();
    t.messages.insert.mockResolvedValue({ kind: 'inserted', message: stored(), memberIds: [ALICE] });
    expect((await t.service.send(ALICE, CHAT, { text: 'hello', clientMsgId: 'c-1' })).message.read).toBe(
      true,
    );
  });

  it('a replay (the unique index says the clientMsgId is taken) returns the stored message, refunds, emits nothing', async () => {
    const t = setup();
    t.messages.insert.mockResolvedValue({ kind: 'duplicate' });
    t.messages.findBySender.mockResolvedValue(stored());
    const result = await t.service.send(ALICE, CHAT, { text: 'hello', clientMsgId: 'c-1' });
    expect(result).toMatchObject({ created: false, message: { id: stored().id, read: false } });
    expect(t.rateLimiter.refund).toHaveBeenCalledWith(ALICE);
    expect(t.events.emit).not.toHaveBeenCalled();
  });

  it('the same clientMsgId with another text, or for another chat, is a 409', async () => {
    const t = setup();
    t.messages.insert.mockResolvedValue({ kind: 'duplicate' });
    t.messages.findBySender.mockResolvedValue(stored({ text: 'something else' }));
    await expectCode(
      t.service.send(ALICE, CHAT, { text: 'hello', clientMsgId: 'c-1' }),
      'CLIENT_MSG_ID_CONFLICT',
    );
    t.messages.findBySender.mockResolvedValue(stored({ chatId: '00000000-0000-4000-8000-0000000000c2' }));
    await expectCode(
      t.service.send(ALICE, CHAT, { text: 'hello', clientMsgId: 'c-1' }),
      'CLIENT_MSG_ID_CONFLICT',
    );
  });

  it('a replay of a deleted message returns it (its text is gone, so any text matches)', async () => {
    const t = setup();
    t.messages.insert.mockResolvedValue({ kind: 'duplicate' });
    t.messages.findBySender.mockResolvedValue(stored({ text: null, deletedAt: new Date() }));
    expect((await t.service.send(ALICE, CHAT, { text: 'typo', clientMsgId: 'c-1' })).created).toBe(false);
  });

  it('over the rate limit, a replay is still free, but a new message is 429 with retryAfter', async () => {
    const t = setup();
    t.rateLimiter.take.mockResolvedValue(4);
    t.access.requireMember.mockResolvedValue({ member: { userId: ALICE, role: 'member' }, members: [] });
    t.messages.findBySender.mockResolvedValueOnce(stored());
    expect((await t.service.send(ALICE, CHAT, { text: 'hello', clientMsgId: 'c-1' })).created).toBe(false);
    t.messages.findBySender.mockResolvedValueOnce(null);
    await expect(t.service.send(ALICE, CHAT, { text: 'new', clientMsgId: 'c-2' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSec: 4,
    });
    expect(t.messages.insert).not.toHaveBeenCalled();
  });

  it('over the rate limit, a non-member learns nothing about stored messages', async () => {
    const t = setup();
    t.rateLimiter.take.mockResolvedValue(4);
    t.access.requireMember.mockRejectedValue(new AppError('NOT_A_MEMBER', 'no'));
    await expectCode(t.service.send(BOB, CHAT, { text: 'hello', clientMsgId: 'c-1' }), 'NOT_A_MEMBER');
    expect(t.messages.findBySender).not.toHaveBeenCalled();
  });

  it('a refused send (not a member / no chat) gives the rate-limit slot back and says which', async () => {
    const t = setup();
    t.messages.insert.mockResolvedValue({ kind: 'refused' });
    t.access.requireMember.mockRejectedValue(new AppError('CHAT_NOT_FOUND', 'Chat not found'));
    await expectCode(t.service.send(BOB, CHAT, { text: 'x', clientMsgId: 'c-9' }), 'CHAT_NOT_FOUND');
    expect(t.rateLimiter.refund).toHaveBeenCalledWith(BOB);
    expect(t.events.emit).not.toHaveBeenCalled();
  });

  it('a failing insert gives the slot back and fails', async () => {
    const t = setup();
    t.messages.insert.mockRejectedValue(new Error('connection reset'));
    await expect(t.service.send(ALICE, CHAT, { text: 'x', clientMsgId: 'c-9' })).rejects.toThrow(
      'connection reset',
    );
    expect(t.rateLimiter.refund).toHaveBeenCalledWith(ALICE);
  });
});

describe('MessagesService.markRead', () => {
  it('sends a receipt to every member only when the mark moved', async () => {
    const t = setup();
    t.access.requireMember.mockResolvedValue({ member: { userId: BOB, role: 'member' }, members: [] });
    t.chats.readState.mockResolvedValue({ lastReadSeq: 5, readAllSeq: 4 });
    t.membership.memberIds.mockResolvedValue([ALICE, BOB]);

    t.chats.advanceReadMark.mockResolvedValue(true);
    const receipt = await t.service.markRead(BOB, CHAT, 5);
    expect(receipt).toEqual({ chatId: CHAT, userId: BOB, lastReadSeq: 5, readAllSeq: 4 });
    expect(t.events.emit).toHaveBeenCalledWith('receipt', { receipt, recipientIds: [ALICE, BOB] });

    t.events.emit.mockClear();
    t.chats.advanceReadMark.mockResolvedValue(false); // backwards, or already there
    expect(await t.service.markRead(BOB, CHAT, 2)).toEqual(receipt);
    expect(t.events.emit).not.toHaveBeenCalled();
  });

  it('a member removed between the check and the read is refused', async () => {
    const t = setup();
    t.access.requireMember.mockResolvedValue({ member: { userId: BOB, role: 'member' }, members: [] });
    t.chats.advanceReadMark.mockResolvedValue(false);
    t.chats.readState.mockResolvedValue({ lastReadSeq: null, readAllSeq: 0 });
    await expectCode(t.service.markRead(BOB, CHAT, 5), 'NOT_A_MEMBER');
  });
});

describe('MessagesService.edit / remove', () => {
  it('only the sender may edit; a deleted message cannot be edited', async () => {
    const t = setup();
    t.access.requireMember.mockResolvedValue({ member: { userId: BOB, role: 'member' }, members: [] });
    t.access.requireAuthor.mockImplementation((author, user) => {
      if (author !== user) throw new AppError('FORBIDDEN', 'no');
    });
    t.messages.findById.mockResolvedValue(stored());
    await expectCode(t.service.edit(BOB, stored().id, 'x'), 'FORBIDDEN');
    t.messages.findById.mockResolvedValue(stored({ deletedAt: new Date(), text: null }));
    await expectCode(t.service.edit(ALICE, stored().id, 'x'), 'MESSAGE_DELETED');
    expect(t.messages.editText).not.toHaveBeenCalled();
  });

  it('deleting twice is harmless: the second emits nothing', async () => {
    const t = setup();
    t.access.requireMember.mockResolvedValue({ member: { userId: ALICE, role: 'member' }, members: [] });
    t.messages.findById.mockResolvedValue(stored());
    t.membership.memberIds.mockResolvedValue([ALICE, BOB]);
    t.messages.softDelete.mockResolvedValueOnce(stored({ text: null, deletedAt: new Date() }));
    await t.service.remove(ALICE, stored().id);
    t.messages.softDelete.mockResolvedValueOnce(null);
    await t.service.remove(ALICE, stored().id);
    expect(t.events.emit).toHaveBeenCalledTimes(1);
    expect(t.events.emit.mock.calls[0][0]).toBe('message.deleted');
  });
});
