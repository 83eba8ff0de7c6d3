import { Controller, Get, Param, Query } from '@nestjs/common';
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
import { UserDto, UserListDto, UserSearchQueryDto } from './dto/user.dto';
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
    return this.profiles.get(auth.userId);
  }

  @Get()
  @ApiOkResponse({ type: UserListDto, description: 'Sorted by username' })
  list(@Query() query: UserSearchQueryDto): Promise<UserListDto> {
    return this.profiles.search(query.search, query.limit, query.offset);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', IdParam) id: string): Promise<UserDto> {
    return this.profiles.get(id);
  }
}
