import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiBadRequestResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorResponseDto } from '../common/error-response.dto';
import { IdParam } from '../common/ids';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { AuthService, ClientInfo } from './auth.service';
import { AuthUser, CurrentUser, Public } from '../common/auth-user';
import { AuthResponseDto, LoginDto, RefreshDto, RegisterDto, SessionDto, TokensDto } from './dto/auth.dto';

const client = (req: Request): ClientInfo => ({ ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') });

@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Validation failed or malformed JSON' })
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('register')
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Email or username taken' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  register(@Body() dto: RegisterDto, @Req() req: Request): Promise<AuthResponseDto> {
    return this.auth.register(dto, client(req));
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description: 'Same answer for an unknown user and a wrong password',
  })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  login(@Body() dto: LoginDto, @Req() req: Request): Promise<AuthResponseDto> {
    return this.auth.login(dto, client(req));
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokensDto, description: 'The presented refresh token is spent; use the new one' })
  @ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description: 'Invalid or spent token (a spent one revokes its session)',
  })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  refresh(@Body() dto: RefreshDto): Promise<TokensDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "The session's access and refresh tokens stop working at once" })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto })
  logout(@CurrentUser() auth: AuthUser): Promise<void> {
    return this.auth.logout(auth);
  }

  @ApiBearerAuth()
  @Get('sessions')
  @ApiOkResponse({ type: [SessionDto] })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto })
  sessions(@CurrentUser() auth: AuthUser): Promise<SessionDto[]> {
    return this.auth.listSessions(auth);
  }

  @ApiBearerAuth()
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse({ type: ErrorResponseDto })
  revoke(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<void> {
    return this.auth.revokeSession(auth, id);
  }
}
