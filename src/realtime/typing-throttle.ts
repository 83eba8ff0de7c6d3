/** A "typing: true" per socket and chat is relayed at most this often; "false" always goes through. */
export const TYPING_INTERVAL_MS = 1000;

/** Per-socket memory of when "typing" was last relayed, by chat. */
export class TypingThrottle {
  private readonly sentAt = new Map<string, number>();

  /** Whether this typing notice should be relayed now (and records it if so). */
  allow(chatId: string, isTyping: boolean, now = Date.now()): boolean {
    if (isTyping && now - (this.sentAt.get(chatId) ?? 0) < TYPING_INTERVAL_MS) return false;
    this.sentAt.set(chatId, isTyping ? now : 0);
    return true;
  }
}
