import { parseMarkRead, parseSendMessage, parseTyping } from './socket-payloads';

const chatId = '0f9c1c9e-5f3a-4b8e-9d2e-8a7b6c5d4e3f';
const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    const e = err as { code: string; details?: { field: string }[] };
    return { code: e.code, fields: (e.details ?? []).map((d) => d.field) };
  }
  return null;
};

describe('socket payloads', () => {
  it('accepts a good send, trims the text and canonicalises the chat id', () => {
    expect(parseSendMessage({ chatId: chatId.toUpperCase(), text: '  hi  ', clientMsgId: 'c-1' })).toEqual({
      chatId,
      text: 'hi',
      clientMsgId: 'c-1',
    });
    expect(parseMarkRead({ chatId, seq: 0 })).toEqual({ chatId, seq: 0 });
    expect(parseTyping({ chatId, isTyping: false })).toEqual({ chatId, isTyping: false });
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', 'x', []],
    ['an array', [1], []],
    ['null', null, []],
    ['everything missing', {}, ['chatId', 'text', 'clientMsgId']],
    ['bad id', { chatId: 'nope', text: 'x', clientMsgId: 'c' }, ['chatId']],
    ['blank text', { chatId, text: '   ', clientMsgId: 'c' }, ['text']],
    ['text too long', { chatId, text: '😀'.repeat(4097), clientMsgId: 'c' }, ['text']],
    ['NUL in text', { chatId, text: 'a\u0000b', clientMsgId: 'c' }, ['text']],
    ['text not a string', { chatId, text: { $gt: '' }, clientMsgId: 'c' }, ['text']],
    ['bad clientMsgId', { chatId, text: 'x', clientMsgId: 'bad id!' }, ['clientMsgId']],
    ['unknown field', { chatId, text: 'x', clientMsgId: 'c', admin: true }, ['admin']],
  ])('message:send with %s is VALIDATION_FAILED naming the fields', (_label, payload, fields) => {
    expect(fieldsOf(() => parseSendMessage(payload))).toEqual({ code: 'VALIDATION_FAILED', fields });
  });

  it('4096 emoji (8192 UTF-16 units) are 4096 characters, as PostgreSQL counts them', () => {
    expect(parseSendMessage({ chatId, text: '😀'.repeat(4096), clientMsgId: 'c' }).text).toHaveLength(8192);
  });

  it.each<[unknown, string[]]>([
    [{ chatId, seq: -1 }, ['seq']],
    [{ chatId, seq: 1.5 }, ['seq']],
    [{ chatId, seq: 2 ** 31 }, ['seq']],
    [{ chatId, seq: '3' }, ['seq']],
  ])('message:read %j is refused', (payload, fields) => {
    expect(fieldsOf(() => parseMarkRead(payload))).toEqual({ code: 'VALIDATION_FAILED', fields });
  });

  it('typing needs a boolean', () => {
    expect(fieldsOf(() => parseTyping({ chatId, isTyping: 'yes' }))).toEqual({
      code: 'VALIDATION_FAILED',
      fields: ['isTyping'],
    });
  });
});
