import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../common/api-docs';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { IdParam } from '../common/ids';
import { UpdateProfileDto, UserDto, UserListDto, UserSearchQueryDto } from './dto/user.dto';
import { ProfilesService } from './profiles.service';

@ApiTags('users')
@Controller('users')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get('me')
  @ApiEndpoint({
    summary: 'Your own profile',
    description: 'With the fields only you see: `email` and `groupInvites`.',
  })
  @ApiOkResponse({ type: UserDto })
  me(@CurrentUser() auth: AuthUser): Promise<UserDto> {
    return this.profiles.get(auth.userId, auth.userId);
  }

  @Patch('me')
  @ApiEndpoint({
    summary: 'Change your display name or who may add you to groups',
    description:
      'Only the fields given change. `groupInvites`: `everyone` (default) or `contacts` (users who share a ' +
      'direct chat with you).',
  })
  @ApiOkResponse({ type: UserDto, description: 'Your profile as it is now' })
  update(@CurrentUser() auth: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserDto> {
    return this.profiles.update(auth.userId, dto);
  }

  @Get()
  @ApiEndpoint({
    summary: 'Find users',
    description:
      '`search` matches the username or display name (case-insensitive, anywhere in it; `%` and `_` are ' +
      'taken literally); without it, everyone. Sorted by username, paged by `limit` (default 20) and `offset`.',
  })
  @ApiOkResponse({ type: UserListDto, description: 'Sorted by username' })
  list(@CurrentUser() auth: AuthUser, @Query() query: UserSearchQueryDto): Promise<UserListDto> {
    return this.profiles.search(auth.userId, query.search, query.limit, query.offset);
  }

  @Get(':id')
  @ApiEndpoint({
    summary: 'One user',
    description:
      '`online` and `lastSeenAt` only when you share a chat with the user (otherwise null); `email` only for you.',
    errors: ['USER_NOT_FOUND'],
  })
  @ApiOkResponse({ type: UserDto })
  get(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<UserDto> {
    return this.profiles.get(auth.userId, id);
  }
}
