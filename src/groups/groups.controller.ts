import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { ErrorResponseDto } from '../common/error-response.dto';
import { IdParam } from '../common/ids';
import { PageQueryDto } from '../common/page-query.dto';
import { ChatMembersPageDto } from '../inbox/dto/chat.dto';
import { AddMembersDto, CreateGroupDto, GroupDto, GroupNameDto, SetRoleDto } from './dto/group.dto';
import { GroupsService } from './groups.service';

@ApiTags('groups')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponseDto })
@ApiForbiddenResponse({ type: ErrorResponseDto, description: 'Not a member, or not allowed for your role' })
@ApiNotFoundResponse({ type: ErrorResponseDto })
@Controller('groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @ApiCreatedResponse({ type: GroupDto, description: 'The creator is the owner' })
  create(@CurrentUser() auth: AuthUser, @Body() dto: CreateGroupDto): Promise<GroupDto> {
    return this.groups.create(auth.userId, dto.name, dto.memberIds);
  }

  @Get(':id')
  @ApiOkResponse({ type: GroupDto })
  get(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<GroupDto> {
    return this.groups.get(auth.userId, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: GroupDto, description: 'Owner or admin' })
  rename(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Body() dto: GroupNameDto,
  ): Promise<GroupDto> {
    return this.groups.rename(auth.userId, id, dto.name);
  }

  @Get(':id/members')
  @ApiOkResponse({ type: ChatMembersPageDto, description: 'Members only; longest-standing first' })
  members(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Query() page: PageQueryDto,
  ): Promise<ChatMembersPageDto> {
    return this.groups.members(auth.userId, id, page.limit, page.offset);
  }

  @Post(':id/members')
  @HttpCode(200)
  @ApiOkResponse({ type: GroupDto, description: 'Owner or admin; users already in the group are skipped' })
  addMembers(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Body() dto: AddMembersDto,
  ): Promise<GroupDto> {
    return this.groups.addMembers(auth.userId, id, dto.userIds);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Owner/admin removes a member, or a member leaves (their own id)' })
  remove(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Param('userId', IdParam) userId: string,
  ): Promise<void> {
    return this.groups.removeMember(auth.userId, id, userId);
  }

  @Patch(':id/members/:userId')
  @ApiOkResponse({ type: GroupDto, description: 'Owner only: make a member an admin, or an admin a member' })
  setRole(
    @CurrentUser() auth: AuthUser,
    @Param('id', IdParam) id: string,
    @Param('userId', IdParam) userId: string,
    @Body() dto: SetRoleDto,
  ): Promise<GroupDto> {
    return this.groups.setRole(auth.userId, id, userId, dto.role);
  }
}
