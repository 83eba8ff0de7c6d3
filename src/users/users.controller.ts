import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../auth/current-user.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { UserDto, UserListDto, UserSearchQueryDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponseDto })
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOkResponse({ type: UserDto })
  me(@CurrentUser() auth: AuthUser): Promise<UserDto> {
    return this.users.getProfile(auth.userId);
  }

  @Get()
  @ApiOkResponse({ type: UserListDto, description: 'Sorted by username' })
  list(@Query() query: UserSearchQueryDto): Promise<UserListDto> {
    return this.users.search(query.search, query.limit, query.offset);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<UserDto> {
    return this.users.getProfile(id);
  }
}
