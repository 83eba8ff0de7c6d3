import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint, EXAMPLE } from '../common/api-docs';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { IdParam } from '../common/ids';
import { PageQueryDto } from '../common/page-query.dto';
import { ChatMembersPageDto } from '../inbox/dto/chat.dto';
import { AddMembersDto, CreateGroupDto, GroupDto, GroupNameDto, SetRoleDto } from './dto/group.dto';
import { GROUP_INVITES_PER_MINUTE, GroupsService } from './groups.service';

const unknownUsers = {
  code: 'USER_NOT_FOUND',
  when: 'some of the ids are not accounts; `details.userIds` names them',
  message: 'Unknown user',
  details: { userIds: [EXAMPLE.carolId] },
} as const;
const invitesLimited = {
  code: 'RATE_LIMITED',
  when: `more than ${GROUP_INVITES_PER_MINUTE} calls a minute that put other people into groups`,
  message: 'Adding people to groups too fast; try again shortly',
} as const;
const notInGroup = { code: 'NOT_A_MEMBER', message: 'You are not a member of this group' } as const;
const managersOnly = {
  code: 'FORBIDDEN',
  when: 'only the owner or an admin may do this',
  message: 'Only the owner or an admin can do this',
} as const;

@ApiTags('groups')
@Controller('groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @ApiEndpoint({
    summary: 'Create a group',
    description:
      'The creator is always a member, with role `owner`; `memberIds` (at most 100 per request; duplicates and ' +
      'your own id are ignored) join as `member`. Bigger groups grow by POST /groups/{id}/members. Every member ' +
      'gets `chat:new`, and the history starts with a service message (`group_created`).',
    errors: [unknownUsers, 'GROUP_INVITE_FORBIDDEN', 'GROUP_FULL', invitesLimited],
  })
  @ApiCreatedResponse({ type: GroupDto, description: 'The creator is the owner' })
  create(@CurrentUser() auth: AuthUser, @Body() dto: CreateGroupDto): Promise<GroupDto> {
    return this.groups.create(auth.userId, dto.name, dto.memberIds);
  }

  @Get(':id')
  @ApiEndpoint({ summary: 'One group (members only)', errors: ['NOT_A_MEMBER', 'GROUP_NOT_FOUND'] })
  @ApiOkResponse({ type: GroupDto })
  get(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<GroupDto> {
    return this.groups.get(auth.userId, id);
  }

  @Patch(':id')
  @ApiEndpoint({
    summary: 'Rename a group (owner or admin)',
    description: 'Members get `chat:updated`, and the history a service message (`group_renamed`).',
    errors: [notInGroup, managersOnly, 'GROUP_NOT_FOUND'],
  })
  @ApiOkResponse({ type: GroupDto, description: 'The renamed group' })
  rename(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Body() dto: GroupNameDto,
  ): Promise<GroupDto> {
    return this.groups.rename(auth.userId, id, dto.name);
  }

  @Get(':id/members')
  @ApiEndpoint({
    summary: "A page of a group's members (members only)",
    description:
      'Longest-standing first, paged by `limit` (default 20) and `offset`. Groups of more than 100 members ' +
      'carry only `memberCount` in their chat and group objects; this lists them.',
    errors: ['NOT_A_MEMBER', 'GROUP_NOT_FOUND'],
  })
  @ApiOkResponse({ type: ChatMembersPageDto, description: 'Longest-standing first' })
  members(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Query() page: PageQueryDto,
  ): Promise<ChatMembersPageDto> {
    return this.groups.members(auth.userId, id, page.limit, page.offset);
  }

  @Post(':id/members')
  @HttpCode(200)
  @ApiEndpoint({
    summary: 'Add members (owner or admin)',
    description:
      'At most 100 ids per request; users already in the group are skipped. Newcomers get `chat:new` and can ' +
      'read the history, the other members get `chat:updated`, and the history gets a service message ' +
      '(`members_added`).',
    errors: [
      notInGroup,
      managersOnly,
      unknownUsers,
      'GROUP_INVITE_FORBIDDEN',
      'GROUP_NOT_FOUND',
      'GROUP_FULL',
      invitesLimited,
    ],
  })
  @ApiOkResponse({ type: GroupDto, description: 'The group with its new members' })
  addMembers(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Body() dto: AddMembersDto,
  ): Promise<GroupDto> {
    return this.groups.addMembers(auth.userId, id, dto.userIds);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiEndpoint({
    summary: 'Remove a member, or leave (your own id)',
    description:
      'The owner removes admins and members, an admin removes members; nobody removes the owner. Anyone may ' +
      'leave; when the owner leaves, the longest-standing admin (else member) becomes owner. The removed user ' +
      "gets `chat:removed` and stops receiving the group's events and reading its history at once; the others " +
      'get `chat:updated`; the history gets a service message (`member_removed` or `member_left`).',
    errors: [
      notInGroup,
      {
        code: 'FORBIDDEN',
        when: 'a member removing someone, an admin removing an admin, or anyone removing the owner',
        message: 'Only the owner or an admin can remove members',
      },
      'GROUP_NOT_FOUND',
      {
        code: 'NOT_FOUND',
        when: 'that user is not a member',
        message: 'That user is not a member of this group',
      },
    ],
  })
  @ApiNoContentResponse({ description: 'Removed (or left)' })
  remove(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Param('userId', IdParam) userId: string,
  ): Promise<void> {
    return this.groups.removeMember(auth.userId, id, userId);
  }

  @Patch(':id/members/:userId')
  @ApiEndpoint({
    summary: "Change a member's role (owner only)",
    description: 'Makes a member an admin, or an admin a member. Members get `chat:updated`.',
    errors: [
      {
        code: 'BAD_REQUEST',
        when: "the owner's own role cannot change",
        message: 'The owner cannot change their own role',
      },
      notInGroup,
      { code: 'FORBIDDEN', when: 'only the owner changes roles', message: 'Only the owner can change roles' },
      'GROUP_NOT_FOUND',
      {
        code: 'NOT_FOUND',
        when: 'that user is not a member',
        message: 'That user is not a member of this group',
      },
    ],
  })
  @ApiOkResponse({ type: GroupDto, description: 'The group with the new role' })
  setRole(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Param('userId', IdParam) userId: string,
    @Body() dto: SetRoleDto,
  ): Promise<GroupDto> {
    return this.groups.setRole(auth.userId, id, userId, dto.role);
  }
}
