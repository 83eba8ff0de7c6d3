import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/auth-user';
import { ErrorResponseDto } from '../common/error-response.dto';
import { IdParam } from '../common/ids';
import { UpdateProfileDto, UserDto, UserListDto, UserSearchQueryDto } from './dto/user.dto';
import { ProfilesService } from './profiles.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponseDto })
@Controller('users')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get('me')
  @ApiOkResponse({ type: UserDto })
  me(@CurrentUser() auth: AuthUser): Promise<UserDto> {
    return this.profiles.get(auth.userId, auth.userId);
  }

  @Patch('me')
  @ApiOkResponse({ type: UserDto })
  update(@CurrentUser() auth: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserDto> {
    return this.profiles.update(auth.userId, dto);
  }

  @Get()
  @ApiOkResponse({ type: UserListDto, description: 'Sorted by username' })
  list(@CurrentUser() auth: AuthUser, @Query() query: UserSearchQueryDto): Promise<UserListDto> {
    return this.profiles.search(auth.userId, query.search, query.limit, query.offset);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<UserDto> {
    return this.profiles.get(auth.userId, id);
  }
}
