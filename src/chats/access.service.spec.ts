import { mockOf } from '../../test/unit/mocks';
import { AccessService, GroupAction } from './access.service';
import { MemberRole } from './chat-member.entity';
import { ChatsRepository } from './chats.repository';
import { MembershipService } from './membership.service';

const CHAT = '00000000-0000-4000-8000-0000000000c1';

function setup() {
  const membership = mockOf<MembershipService>();
  const chats = mockOf<ChatsRepository>();
  return { access: new AccessService(membership, chats), membership, chats };
}

describe('AccessService.requireGroupRole', () => {
  const { access } = setup();
  type Case = [GroupAction, MemberRole | undefined, MemberRole | undefined, string | null];
  // [action, actor, target, expected error code or null when allowed]
  it.each<Case>([
    ['rename', 'owner', undefined, null],
    ['rename', 'admin', undefined, null],
    ['rename', 'member', undefined, 'FORBIDDEN'],
    ['rename', undefined, undefined, 'NOT_A_MEMBER'],
    ['addMembers', 'admin', undefined, null],
    ['addMembers', 'member', undefined, 'FORBIDDEN'],
    ['removeMember', 'owner', 'admin', null],
    ['removeMember', 'owner', 'member', null],
    ['removeMember', 'admin', 'member', null],
    ['removeMember', 'admin', 'admin', 'FORBIDDEN'],
    ['removeMember', 'admin', 'owner', 'FORBIDDEN'],
    ['removeMember', 'member', 'member', 'FORBIDDEN'],
    ['removeMember', 'owner', undefined, 'NOT_FOUND'],
    ['removeMember', undefined, 'member', 'NOT_A_MEMBER'],
    ['leave', 'owner', 'owner', null],
    ['leave', 'member', 'member', null],
    ['leave', undefined, undefined, 'NOT_A_MEMBER'],
    ['setRole', 'owner', 'member', null],
    ['setRole', 'owner', 'admin', null],
    ['setRole', 'owner', 'owner', 'BAD_REQUEST'],
    ['setRole', 'admin', 'member', 'FORBIDDEN'],
    ['setRole', 'owner', undefined, 'NOT_FOUND'],
  ])('%s by %s on %s -> %s', (action, actor, target, expected) => {
    const check = () => access.requireGroupRole(action, actor, target);
    if (expected === null) expect(check).not.toThrow();
    else expect(check).toThrow(expect.objectContaining({ code: expected }));
  });
});

describe('AccessService.requireMember', () => {
  it('a member passes with the member list; a stranger is 403; a chat that does not exist is 404', async () => {
    const { access, membership, chats } = setup();
    const members = [{ userId: 'u1', role: 'owner' as const }];
    membership.members.mockResolvedValue(members);
    await expect(access.requireMember(CHAT, 'u1')).resolves.toEqual({ member: members[0], members });
    await expect(access.requireMember(CHAT, 'u2')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    expect(chats.exists).not.toHaveBeenCalled(); // the chat has members, so it exists

    membership.members.mockResolvedValue([]);
    chats.exists.mockResolvedValue(false);
    await expect(access.requireMember(CHAT, 'u1')).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
  });
});
