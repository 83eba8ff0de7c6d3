import { Injectable } from '@nestjs/common';
import { MAX_TTL_MS, VersionedCache } from '../redis/versioned-cache';
import { ChatsRepository, Member } from './chats.repository';

const TTL_MS = MAX_TTL_MS;
const cacheKey = (chatId: string) => `chat-members:${chatId}`;

/** Who is in a chat: asked on every read mark, typing, history page and fan-out, so cached (see VersionedCache). */
@Injectable()
export class MembershipService {
  constructor(
    private readonly chats: ChatsRepository,
    private readonly cache: VersionedCache,
  ) {}

  /**
   * An empty list (no such chat: every chat has a member) is not cached, so a flood of made-up ids leaves no
   * keys behind; ids reach here in canonical form only (common/ids.ts), so one chat has one key.
   */
  members(chatId: string): Promise<Member[]> {
    return this.cache.getOrLoad(
      cacheKey(chatId),
      TTL_MS,
      () => this.chats.members(chatId),
      (members) => members.length > 0,
    );
  }

  async memberIds(chatId: string): Promise<string[]> {
    return (await this.members(chatId)).map((m) => m.userId);
  }

  /** Call after the transaction that changed the chat's members has committed. */
  invalidate(chatId: string): Promise<void> {
    return this.cache.invalidate(cacheKey(chatId));
  }
}
