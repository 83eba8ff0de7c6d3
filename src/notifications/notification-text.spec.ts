import { notificationText } from './notification-text';

const msg = (seq: number, text: string, senderName = 'Bob') => ({ seq, text, senderName });

describe('notificationText', () => {
  it('gathers a direct chat’s messages under the sender’s name', () => {
    const text = notificationText({ type: 'direct', title: 'Bob', url: 'http://x/?chat=1' }, [
      msg(1, 'hi'),
      msg(2, 'are you there?'),
      msg(3, 'ping'),
    ]);
    expect(text).toBe('3 new messages from Bob\n\nhi\nare you there?\nping\n\nOpen: http://x/?chat=1');
  });

  it('names the group and each sender, and keeps the last three previews', () => {
    const text = notificationText({ type: 'group', title: 'Team', url: 'u' }, [
      msg(1, 'one', 'Ann'),
      msg(2, 'two', 'Bob'),
      msg(3, 'three', 'Ann'),
      msg(4, 'four', 'Cid'),
    ]);
    expect(text.split('\n')).toEqual([
      '4 new messages in Team',
      '',
      '…',
      'Bob: two',
      'Ann: three',
      'Cid: four',
      '',
      'Open: u',
    ]);
  });

  it('says "message" for one, folds whitespace and shortens long text by characters', () => {
    const long = '😀'.repeat(200);
    const text = notificationText({ type: 'direct', title: 'Bob', url: 'u' }, [
      msg(1, `a\n\n  b`),
      msg(2, long),
    ]);
    expect(text).toContain('\na b\n');
    const line = text.split('\n')[3];
    expect([...line]).toHaveLength(120);
    expect(line.endsWith('…')).toBe(true);
    expect(notificationText({ type: 'direct', title: 'Bob', url: 'u' }, [msg(1, 'x')])).toMatch(
      /^1 new message from Bob\n/,
    );
  });

  it('passes user text through as plain text (no parse mode to escape for)', () => {
    const text = notificationText({ type: 'direct', title: 'Bob', url: 'u' }, [
      msg(1, '<b>*bold*</b> [x](http://evil)'),
    ]);
    expect(text).toContain('<b>*bold*</b> [x](http://evil)');
  });
});
