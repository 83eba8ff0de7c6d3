export interface PendingMessage {
  seq: number;
  text: string;
  senderName: string;
}

const PREVIEW_CHARS = 120;
const MAX_PREVIEWS = 3;

const preview = (text: string) => {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const chars = [...oneLine];
  return chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…` : oneLine;
};

/**
 * One notification for everything unread in a chat. Sent as plain text (no parse_mode), so user text needs
 * no escaping and cannot inject formatting or links.
 */
export function notificationText(
  chat: { type: 'direct' | 'group' | 'saved'; title: string; url: string },
  messages: PendingMessage[],
): string {
  const n = messages.length;
  const noun = n === 1 ? 'new message' : 'new messages';
  const senders = [...new Set(messages.map((m) => m.senderName))];
  const head =
    chat.type === 'group' ? `${n} ${noun} in ${chat.title}` : `${n} ${noun} from ${senders.join(', ')}`;
  const shown = messages.slice(-MAX_PREVIEWS);
  const lines = shown.map((m) =>
    chat.type === 'group' ? `${m.senderName}: ${preview(m.text)}` : preview(m.text),
  );
  if (n > shown.length) lines.unshift('…');
  return [head, '', ...lines, '', `Open: ${chat.url}`].join('\n');
}
