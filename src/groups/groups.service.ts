import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { AccessService, groupRoleRefusal } from '../chats/access.service';
import { ChatsRepository } from '../chats/chats.repository';
import { MembershipService } from '../chats/membership.service';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EventBus } from '../common/events';
import { isOutage } from '../common/unavailable';
import { Transactions, Tx } from '../database/transactions';
import { CHAT_MEMBERS_INLINE_MAX, ChatViews } from '../inbox/chat-views';
import '../inbox/inbox.events';
import { DeliveryOutbox } from '../messages/delivery-outbox';
import { toMessageDto } from '../messages/dto/message.dto';
import { SystemEvent } from '../messages/message.entity';
import '../messages/messages.events';
import { Message, MessagesRepository } from '../messages/messages.repository';
import { UsersService } from '../users/users.service';
import { ChatMembersPageDto } from '../inbox/dto/chat.dto';
import { RateLimiter } from '../redis/rate-limiter';
import { GroupDto } from './dto/group.dto';
import { Group, GroupsRepository } from './groups.repository';

/**
 * Groups: create, rename, members and roles. Every change runs in one transaction with the group's chat row
 * locked, and the role rules (AccessService) are checked against what was read under that lock.
 */
@Injectable()
export class GroupsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly groups: GroupsRepository,
    private readonly chats: ChatsRepository,
    private readonly transactions: Transactions,
    private readonly access: AccessService,
    private readonly membership: MembershipService,
    private readonly users: UsersService,
    private readonly views: ChatViews,
    private readonly events: EventBus,
    private readonly messages: MessagesRepository,
    private readonly outbox: DeliveryOutbox,
    private readonly limiter: RateLimiter,
  ) {}

  /**
   * Putting people into groups is bounded per user (GROUP_INVITES_PER_MINUTE calls that add someone): each
   * call lands a chat in other people's lists, and nothing else would stop a flood of them.
   */
  private async limitInvites(userId: string): Promise<void> {
    const wait = await this.limiter.take(
      [{ key: inviteKey(userId), limit: GROUP_INVITES_PER_MINUTE }],
      60_000,
    );
    if (wait !== null)
      throw new AppError(
        'RATE_LIMITED',
        'Adding people to groups too fast; try again shortly',
        undefined,
        wait,
      );
  }

  /**
   * Takes an invite unit when, by the cached members, the caller may add people and someone named is not in
   * yet; a call that will be refused or changes nothing is not charged. Returns whether a unit was taken.
   */
  private async chargeInviteIfJoining(userId: string, groupId: string, ids: string[]): Promise<boolean> {
    const group = await this.groups.findById(groupId);
    if (!group) return false; // the change answers 404
    const members = await this.membership.members(group.chatId);
    const role = members.find((m) => m.userId === userId)?.role;
    const isIn = new Set(members.map((m) => m.userId));
    if (groupRoleRefusal('addMembers', role) || ids.every((id) => isIn.has(id))) return false;
    await this.limitInvites(userId);
    return true;
  }

  /** Gives back the unit of a call that put nobody in after all (its change failed, or all were members). */
  private async refundInvite(userId: string): Promise<void> {
    try {
      await this.limiter.refund([inviteKey(userId)]);
    } catch {
      // Redis is away: the unit stays spent, at worst one too many for a minute.
    }
  }

  async create(creatorId: string, name: string, memberIds: string[]): Promise<GroupDto> {
    const others = [...new Set(memberIds)].filter((id) => id !== creatorId);
    this.requireRoom(0, others.length + 1);
    await this.users.requireExisting(others);
    await this.requireConsent(creatorId, others);
    if (others.length) await this.limitInvites(creatorId);
    const { group, line } = await this.changeAndSay(async (tx, say) => {
      const chatId = await this.chats.insertGroupChat(tx);
      const created = await this.groups.insert(tx, chatId, name, creatorId);
      await this.chats.addMembers(tx, chatId, [creatorId], 'owner');
      await this.chats.addMembers(tx, chatId, others);
      return {
        group: created,
        line: await say(chatId, { event: 'group_created', actorId: creatorId, name }),
      };
    }).catch(async (err: unknown) => {
      if (others.length) await this.refundInvite(creatorId);
      throw err;
    });
    await this.afterCommit(line, () => this.announce(group.chatId, 'new', [creatorId, ...others]));
    return this.toDto(group);
  }

  async get(userId: string, groupId: string): Promise<GroupDto> {
    const group = await this.groups.findById(groupId);
    if (!group) throw notFound();
    await this.access.requireMember(group.chatId, userId);
    return this.toDto(group);
  }

  findByName(creatorId: string, name: string): Promise<Group | null> {
    return this.groups.findByName(creatorId, name);
  }

  async rename(userId: string, groupId: string, name: string): Promise<GroupDto> {
    const { group, line } = await this.changeAndSay(async (tx, say) => {
      const locked = await this.lock(tx, groupId);
      const roles = await this.chats.roles(tx, locked.chatId, [userId]);
      this.access.requireGroupRole('rename', roles.get(userId));
      const renamed = await this.groups.rename(tx, groupId, name);
      await this.chats.touch(tx, locked.chatId);
      return {
        group: renamed,
        line: await say(locked.chatId, { event: 'group_renamed', actorId: userId, name }),
      };
    });
    await this.afterCommit(line, () => this.announce(group.chatId, 'updated'));
    return this.toDto(group);
  }

  /** Users already in the group are skipped. */
  async addMembers(userId: string, groupId: string, userIds: string[]): Promise<GroupDto> {
    const ids = [...new Set(userIds)];
    await this.users.requireExisting(ids);
    // Only a call that puts someone in costs a unit: not one refused for the caller's role, nor one naming
    // members only. Judged from the cached members, before the change (the change decides again under the
    // group's lock): taken under that lock, the Redis call would hold up every send to the chat meanwhile.
    const charged = await this.chargeInviteIfJoining(userId, groupId, ids);
    const { group, added, line } = await this.changeAndSay(async (tx, say) => {
      const locked = await this.lock(tx, groupId);
      const roles = await this.chats.roles(tx, locked.chatId, [userId, ...ids]);
      this.access.requireGroupRole('addMembers', roles.get(userId));
      const joining = ids.filter((id) => !roles.has(id));
      this.requireRoom(await this.chats.memberCount(tx, locked.chatId), joining.length);
      await this.requireConsent(userId, joining);
      const newcomers = await this.chats.addMembers(tx, locked.chatId, ids);
      if (newcomers.length === 0) return { group: locked, added: newcomers };
      await this.chats.touch(tx, locked.chatId);
      const event: SystemEvent = { event: 'members_added', actorId: userId, userIds: newcomers };
      return { group: locked, added: newcomers, line: await say(locked.chatId, event) };
    }).catch(async (err: unknown) => {
      if (charged) await this.refundInvite(userId);
      throw err;
    });
    if (charged && added.length === 0) await this.refundInvite(userId);
    await this.afterCommit(line, async () => {
      if (!added.length) return;
      await this.membership.invalidate(group.chatId);
      const everyone = await this.membership.memberIds(group.chatId);
      await this.announce(group.chatId, 'new', added);
      await this.announce(
        group.chatId,
        'updated',
        everyone.filter((id) => !added.includes(id)),
      );
    });
    return this.toDto(group);
  }

  /**
   * Removes a member (owner/admin), or leaves (the user themself). When the owner leaves, the
   * longest-standing admin (else member) becomes owner.
   */
  async removeMember(userId: string, groupId: string, targetId: string): Promise<void> {
    const { group, line } = await this.changeAndSay(async (tx, say) => {
      const locked = await this.lock(tx, groupId);
      const roles = await this.chats.roles(tx, locked.chatId, [userId, targetId]);
      const target = roles.get(targetId);
      if (userId === targetId) this.access.requireGroupRole('leave', target);
      else this.access.requireGroupRole('removeMember', roles.get(userId), target);
      await this.chats.removeMember(tx, locked.chatId, targetId);
      if (target === 'owner') await this.chats.promoteSuccessor(tx, locked.chatId);
      await this.chats.touch(tx, locked.chatId);
      const event: SystemEvent =
        userId === targetId
          ? { event: 'member_left', actorId: userId }
          : { event: 'member_removed', actorId: userId, userIds: [targetId] };
      return { group: locked, line: await say(locked.chatId, event) };
    });
    await this.afterCommit(line, async () => {
      await this.membership.invalidate(group.chatId);
      this.events.emit('chat.removed', { chatId: group.chatId, userIds: [targetId] });
      await this.announce(group.chatId, 'updated');
    });
  }

  /** The owner makes a member an admin or back. */
  async setRole(
    userId: string,
    groupId: string,
    targetId: string,
    role: 'admin' | 'member',
  ): Promise<GroupDto> {
    const group = await this.transactions.run(async (tx) => {
      const locked = await this.lock(tx, groupId);
      const roles = await this.chats.roles(tx, locked.chatId, [userId, targetId]);
      this.access.requireGroupRole('setRole', roles.get(userId), roles.get(targetId));
      await this.chats.setRole(tx, locked.chatId, targetId, role);
      return locked;
    });
    await this.membership.invalidate(group.chatId);
    await this.announce(group.chatId, 'updated');
    return this.toDto(group);
  }

  /** One page of the members (big groups' chat objects carry only memberCount). */
  async members(userId: string, groupId: string, limit: number, offset: number): Promise<ChatMembersPageDto> {
    const group = await this.groups.findById(groupId);
    if (!group) throw notFound();
    await this.access.requireMember(group.chatId, userId);
    return this.chats.membersPage(group.chatId, limit, offset);
  }

  /** GROUP_MAX_MEMBERS bounds every group (and so the fan-out of each of its messages). */
  private requireRoom(current: number, joining: number): void {
    const max = this.config.groupMaxMembers;
    if (current + joining > max)
      throw new AppError('GROUP_FULL', `A group has at most ${max} members (it has ${current})`, { max });
  }

  /** Users who accept invitations only from contacts must share a direct chat with whoever adds them. */
  private async requireConsent(actorId: string, userIds: string[]): Promise<void> {
    const guarded = await this.users.contactsOnly(userIds);
    if (guarded.length === 0) return;
    const partners = await this.chats.directPartners(
      actorId,
      guarded.map((u) => u.id),
    );
    const refused = guarded.filter((u) => !partners.has(u.id));
    if (refused.length === 0) return;
    throw new AppError(
      'GROUP_INVITE_FORBIDDEN',
      `${refused.map((u) => u.displayName).join(', ')} only accept${refused.length === 1 ? 's' : ''} group invitations from contacts`,
      { userIds: refused.map((u) => u.id) },
    );
  }

  /**
   * Runs a membership change in one transaction together with the service message that tells the members
   * ("Alice added Carol"), so history shows it in order. The message goes through the delivery outbox like a
   * send: recorded before the commit, acknowledged once published (publish()).
   */
  private async changeAndSay<T extends { line?: ServiceLine }>(
    work: (tx: Tx, say: (chatId: string, event: SystemEvent) => Promise<ServiceLine>) => Promise<T>,
  ): Promise<T> {
    const id = randomUUID();
    const entry = await this.outbox.record([id]);
    try {
      const result = await this.transactions.run((tx) =>
        work(tx, async (chatId, event) => ({
          message: await this.messages.insertSystem(tx, id, chatId, event, DeliveryOutbox.batchIdOf(entry)),
          entry,
        })),
      );
      if (!result.line) await this.outbox.ack(entry);
      return result;
    } catch (err) {
      // A refusal or a lost race stored nothing; after an outage the commit may have happened: any sweeper
      // settles it.
      if (!isOutage(err)) await this.outbox.ack(entry).catch(() => undefined);
      else this.outbox.release(entry);
      throw err;
    }
  }

  /**
   * What follows a committed change (cache, chat events), then the service message's publication. If either
   * fails before the message is handed to the gateway, its outbox entry goes to the sweepers, which publish it.
   */
  private async afterCommit(line: ServiceLine | undefined, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      await this.publish(line);
    } catch (err) {
      if (line) this.outbox.release(line.entry);
      throw err;
    }
  }

  /** Sends the service message to the chat's members as they are now (after the change). */
  private async publish(line: ServiceLine | undefined): Promise<void> {
    if (!line) return;
    const { message, entry } = line;
    await this.membership.invalidate(message.chatId);
    const [recipientIds, readAllSeq] = await Promise.all([
      this.membership.memberIds(message.chatId),
      this.chats.readAllSeq(message.chatId),
    ]);
    this.events.emit('messages.created', {
      items: [{ message: toMessageDto(message, readAllSeq), recipientIds }],
      delivery: entry,
    });
  }

  private async lock(tx: Tx, groupId: string): Promise<Group> {
    const group = await this.groups.findAndLock(tx, groupId);
    if (!group) throw notFound();
    return group;
  }

  /** Sends chat:new / chat:updated with each member's own view (defaults to every current member). */
  private async announce(chatId: string, kind: 'new' | 'updated', userIds?: string[]): Promise<void> {
    const ids = userIds ?? (await this.membership.memberIds(chatId));
    if (ids.length === 0) return;
    const views = await this.views.forMembers(chatId, ids);
    this.events.emit('chats.changed', { kind, views });
  }

  private async toDto(group: Group): Promise<GroupDto> {
    const members = await this.membership.members(group.chatId);
    const dto: GroupDto = {
      id: group.id,
      chatId: group.chatId,
      name: group.name,
      creatorId: group.creatorId,
      memberCount: members.length,
      createdAt: group.createdAt.toISOString(),
    };
    if (members.length <= CHAT_MEMBERS_INLINE_MAX) dto.members = members;
    return dto;
  }
}

const notFound = () => new AppError('GROUP_NOT_FOUND', 'Group not found');

/** Calls per user and minute that put other people into a group (creating it with them, or adding them). */
export const GROUP_INVITES_PER_MINUTE = 30;
const inviteKey = (userId: string) => `group-invites:${userId}`;

/** A service message stored in a membership change, and its outbox entry. */
interface ServiceLine {
  message: Message;
  entry: string;
}
