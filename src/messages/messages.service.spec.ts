import { mockOf } from '../../test/unit/mocks';
import { AccessService } from '../chats/access.service';
import { ChatsRepository } from '../chats/chats.repository';
import { MembershipService } from '../chats/membership.service';
import { AppError, ErrorCode } from '../common/app-error';
import { EventBus } from '../common/events';
import { Message, MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { SendBatcher } from './send-batcher';
import { toMessageDto } from './dto/message.dto';

const CHAT = '00000000-0000-4000-8000-0000000000c1';
const ALICE = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';

const stored = (over: Partial<Message> = {}): Message => ({
  id: '00000000-0000-4000-8000-0000000000f1',
  chatId: CHAT,
  seq: 7,
  senderId: ALICE,
  clientMsgId: 'c-1',
  type: 'text',
  text: 'hello',
  system: null,
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
  const batcher = mockOf<SendBatcher>();
  const events = mockOf<EventBus>();
  const service = new MessagesService(messages, chats, membership, access, batcher, events);
  chats.readAllSeq.mockResolvedValue(3);
  access.requireMember.mockResolvedValue({ member: { userId: ALICE, role: 'member' }, members: [] });
  return { service, messages, chats, membership, access, batcher, events };
}

const expectCode = (promise: Promise<unknown>, code: ErrorCode) =>
  expect(promise).rejects.toMatchObject({ code } satisfies Partial<AppError>);

describe('MessagesService.send (what the batch statement said, in words a client can act on)', () => {
  const input = { text: 'hello', clientMsgId: 'c-1' };

  it('hands the send to the batcher with the socket it came from, and returns the stored message as created', async () => {
    const t = setup();
    const message = toMessageDto(stored(), 6);
    t.batcher.submit.mockResolvedValue({ kind: 'inserted', message });
    expect(await t.service.send(ALICE, CHAT, input, 'socket-1')).toEqual({ message, created: true });
    expect(t.batcher.submit).toHaveBeenCalledWith(
      { chatId: CHAT, senderId: ALICE, clientMsgId: 'c-1', text: 'hello' },
      'socket-1',
    );
  });

  it('a replay (the unique index found the clientMsgId stored) returns the stored message, not created', async () => {
    const t = setup();
    t.batcher.submit.mockResolvedValue({ kind: 'existing', message: stored() });
    const result = await t.service.send(ALICE, CHAT, input);
    expect(result).toMatchObject({ created: false, message: { id: stored().id, read: false } });
    expect(t.events.emit).not.toHaveBeenCalled();
  });

  it('the same clientMsgId with another text, or for another chat, is a 409', async () => {
    const t = setup();
    t.batcher.submit.mockResolvedValue({ kind: 'existing', message: stored({ text: 'something else' }) });
    await expectCode(t.service.send(ALICE, CHAT, input), 'CLIENT_MSG_ID_CONFLICT');
    t.batcher.submit.mockResolvedValue({
      kind: 'existing',
      message: stored({ chatId: '00000000-0000-4000-8000-0000000000c2' }),
    });
    await expectCode(t.service.send(ALICE, CHAT, input), 'CLIENT_MSG_ID_CONFLICT');
  });

  it('a replay of a deleted message returns it (its text is gone, so any text matches)', async () => {
    const t = setup();
    t.batcher.submit.mockResolvedValue({
      kind: 'existing',
      message: stored({ text: null, deletedAt: new Date() }),
    });
    expect((await t.service.send(ALICE, CHAT, { text: 'typo', clientMsgId: 'c-1' })).created).toBe(false);
  });

  it('a replay after an edit (on another device) returns the edited message: its first text is gone', async () => {
    const t = setup();
    t.batcher.submit.mockResolvedValue({
      kind: 'existing',
      message: stored({ text: 'edited', editedAt: new Date() }),
    });
    const result = await t.service.send(ALICE, CHAT, input);
    expect(result).toMatchObject({ created: false, message: { text: 'edited' } });
  });

  it('a replay is for members only: someone removed since learns nothing of the message now', async () => {
    const t = setup();
    t.batcher.submit.mockResolvedValue({ kind: 'existing', message: stored() });
    t.access.requireMember.mockRejectedValue(new AppError('NOT_A_MEMBER', 'no'));
    await expectCode(t.service.send(ALICE, CHAT, input), 'NOT_A_MEMBER');
  });

  it('over the rate limit, a replay is still free, but a new message is 429 with retryAfter', async () => {
    const t = setup();
    t.batcher.submit.mockResolvedValue({ kind: 'rate-limited', retryAfterSec: 4 });
    t.messages.findBySender.mockResolvedValueOnce(stored());
    expect((await t.service.send(ALICE, CHAT, input)).created).toBe(false);
    t.messages.findBySender.mockResolvedValueOnce(null);
    await expect(t.service.send(ALICE, CHAT, { text: 'new', clientMsgId: 'c-2' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSec: 4,
    });
  });

  it('over the rate limit, a non-member learns nothing about stored messages', async () => {
    const t = setup();
    t.batcher.submit.mockResolvedValue({ kind: 'rate-limited', retryAfterSec: 4 });
    t.access.requireMember.mockRejectedValue(new AppError('NOT_A_MEMBER', 'no'));
    await expectCode(t.service.send(BOB, CHAT, input), 'NOT_A_MEMBER');
    expect(t.messages.findBySender).not.toHaveBeenCalled();
  });

  it('a refused send says whether the chat is missing (404) or the sender is not in it (403)', async () => {
    const t = setup();
    t.batcher.submit.mockResolvedValue({ kind: 'refused' });
    t.access.requireMember.mockRejectedValue(new AppError('CHAT_NOT_FOUND', 'Chat not found'));
    await expectCode(t.service.send(BOB, CHAT, input), 'CHAT_NOT_FOUND');
    t.access.requireMember.mockResolvedValue({ member: { userId: BOB, role: 'member' }, members: [] });
    await expectCode(t.service.send(BOB, CHAT, input), 'NOT_A_MEMBER'); // removed between statement and check
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
