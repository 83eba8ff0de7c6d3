/** "Typing" is relayed at most this often per socket and chat. */
export const TYPING_INTERVAL_MS = 1000;

/**
 * Per-socket memory of what was relayed, by chat. "Typing" goes out at most once per interval; "stopped" only
 * when the last notice relayed said "typing" (so the others' indicator clears). Whatever a client sends — even
 * a flood alternating the two — at most two notices a second per chat reach the others.
 */
export class TypingThrottle {
  private readonly state = new Map<string, { typingAt: number; typing: boolean }>();

  /** Whether this notice should be relayed now (and records it if so). */
  allow(chatId: string, isTyping: boolean, now = Date.now()): boolean {
    const last = this.state.get(chatId) ?? { typingAt: -Infinity, typing: false };
    const relay = isTyping ? now - last.typingAt >= TYPING_INTERVAL_MS : last.typing;
    if (relay) this.state.set(chatId, { typingAt: isTyping ? now : last.typingAt, typing: isTyping });
    return relay;
  }
}
