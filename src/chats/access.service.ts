import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { MemberRole } from './chat-member.entity';
import { ChatsRepository, Member } from './chats.repository';
import { MembershipService } from './membership.service';

export type GroupAction = 'rename' | 'addMembers' | 'removeMember' | 'leave' | 'setRole';

const MANAGERS: readonly MemberRole[] = ['owner', 'admin'];

/**
 * The one place that answers "may this user do X in this chat". Reads come from the (cached) member list;
 * group changes pass the roles they read under the chat row lock, so the check and the change see the same
 * state. The send statement checks membership itself, atomically with the insert (see MessagesRepository).
 */
@Injectable()
export class AccessService {
  constructor(
    private readonly membership: MembershipService,
    private readonly chats: ChatsRepository,
  ) {}

  /** The caller's membership, or 404 (no such chat) / 403 (not a member). */
  async requireMember(chatId: string, userId: string): Promise<{ member: Member; members: Member[] }> {
    const members = await this.membership.members(chatId);
    const member = members.find((m) => m.userId === userId);
    if (member) return { member, members };
    if (members.length === 0 && !(await this.chats.exists(chatId)))
      throw new AppError('CHAT_NOT_FOUND', 'Chat not found');
    throw new AppError('NOT_A_MEMBER', 'You are not a member of this chat');
  }

  /** Only the sender may edit or delete a message. */
  requireAuthor(authorId: string, userId: string): void {
    if (authorId !== userId) throw new AppError('FORBIDDEN', 'Only the sender can change a message');
  }

  /** Throws the refusal of groupRoleRefusal, if any. */
  requireGroupRole(action: GroupAction, actor: MemberRole | undefined, target?: MemberRole): void {
    const refusal = groupRoleRefusal(action, actor, target);
    if (refusal) throw refusal;
  }
}

/**
 * Group role rules: why `actor` may not do `action` (to `target`), or null when it may. `actor`/`target` are
 * the roles read under the chat lock (undefined: not a member). Admins manage plain members; only the owner
 * changes roles; nobody removes the owner (the owner may leave).
 */
export function groupRoleRefusal(
  action: GroupAction,
  actor: MemberRole | undefined,
  target?: MemberRole,
): AppError | null {
  if (!actor) return new AppError('NOT_A_MEMBER', 'You are not a member of this group');
  switch (action) {
    case 'leave':
      return null;
    case 'rename':
    case 'addMembers':
      return MANAGERS.includes(actor)
        ? null
        : new AppError('FORBIDDEN', 'Only the owner or an admin can do this');
    case 'removeMember':
      if (!target) return new AppError('NOT_FOUND', 'That user is not a member of this group');
      if (!MANAGERS.includes(actor))
        return new AppError('FORBIDDEN', 'Only the owner or an admin can remove members');
      if (target === 'owner' || (actor === 'admin' && target === 'admin'))
        return new AppError('FORBIDDEN', `An ${actor} cannot remove the ${target}`);
      return null;
    case 'setRole':
      if (actor !== 'owner') return new AppError('FORBIDDEN', 'Only the owner can change roles');
      if (!target) return new AppError('NOT_FOUND', 'That user is not a member of this group');
      if (target === 'owner') return new AppError('BAD_REQUEST', 'The owner cannot change their own role');
      return null;
  }
}
