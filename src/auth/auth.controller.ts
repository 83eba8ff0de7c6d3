import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiEndpoint } from '../common/api-docs';
import { IdParam } from '../common/ids';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { AuthService, ClientInfo } from './auth.service';
import { AuthUser, CurrentUser, Public } from '../common/auth-user';
import { AuthResponseDto, LoginDto, RefreshDto, RegisterDto, SessionDto, TokensDto } from './dto/auth.dto';
import {
  clearRefreshCookie,
  REFRESH_COOKIE_HEADER,
  refreshTokenFromCookie,
  setRefreshCookie,
  wantsCookie,
} from './refresh-cookie';

const client = (req: Request): ClientInfo => ({ ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') });

const cookieHeader = ApiHeader({
  name: REFRESH_COOKIE_HEADER,
  required: false,
  description:
    '"1": return the refresh token in an HttpOnly cookie (Path=/api/auth, SameSite=Strict) instead of the body (the web client does)',
});

const authRateLimited = {
  code: 'RATE_LIMITED',
  when: 'more than THROTTLE_AUTH_PER_MINUTE register/login/refresh attempts from this client IP in a minute',
} as const;

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Moves the refresh token from the body into the cookie when the client asked for it. */
  private deliver<T extends { refreshToken?: string }>(req: Request, res: Response, body: T): T {
    if (!wantsCookie(req) || !body.refreshToken) return body;
    setRefreshCookie(res, body.refreshToken, this.config.refreshTokenTtlSec);
    const { refreshToken: _inCookie, ...rest } = body;
    return rest as T;
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('register')
  @ApiEndpoint({
    summary: 'Create an account',
    description:
      "Creates the account and logs it in: the answer carries the new user and a first session's tokens. " +
      'Email and username are stored in lower case and are unique regardless of case.',
    public: true,
    errors: [
      {
        code: 'VALIDATION_FAILED',
        message: 'password must be at least 10 characters long',
        details: [{ field: 'password', errors: ['password must be at least 10 characters long'] }],
      },
      'EMAIL_TAKEN',
      'USERNAME_TAKEN',
      authRateLimited,
    ],
  })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @cookieHeader
  async register(
    @Body() dto: RegisterDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AuthResponseDto> {
    return this.deliver(req, res, await this.auth.register(dto, client(req)));
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiEndpoint({
    summary: 'Log in (start a session)',
    description:
      'By email or username and password. Every login is a session of its own (one per device), listed by ' +
      'GET /auth/sessions. Failed logins are limited per login name (the username or email as typed) and ' +
      'client IP, and per login name from anywhere: known or not, so the limits reveal nothing.',
    public: true,
    errors: [
      'INVALID_CREDENTIALS',
      {
        code: 'RATE_LIMITED',
        when:
          'too many attempts from this client IP in a minute (THROTTLE_AUTH_PER_MINUTE), or too many failed ' +
          'logins with this login name in 15 minutes',
        message: 'Too many failed logins with this name; try again later',
      },
    ],
  })
  @ApiOkResponse({ type: AuthResponseDto })
  @cookieHeader
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AuthResponseDto> {
    return this.deliver(req, res, await this.auth.login(dto, client(req)));
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiEndpoint({
    summary: 'Trade a refresh token for new tokens',
    description:
      'Returns a new access token and a new refresh token; the presented refresh token is spent. Presenting ' +
      'a spent one again means someone holds a copy: the answer is 401 and that session ends (its sockets ' +
      'get `session:ended` `revoked`). Without `refreshToken` in the body, the refresh_token cookie is used.',
    public: true,
    errors: ['REFRESH_TOKEN_INVALID', authRateLimited],
  })
  @ApiOkResponse({ type: TokensDto, description: 'The presented refresh token is spent; use the new one' })
  @cookieHeader
  async refresh(
    @Body() dto: RefreshDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TokensDto> {
    // The body's token wins; without one, the cookie's (the web client's flow).
    return this.deliver(
      req,
      res,
      await this.auth.refresh(dto.refreshToken ?? refreshTokenFromCookie(req) ?? ''),
    );
  }

  @Post('logout')
  @HttpCode(204)
  @ApiEndpoint({
    summary: 'Log out (end this session)',
    description:
      "The session's access and refresh tokens stop working at once, on every instance; its open sockets get " +
      '`session:ended` `logout` and are closed. Also clears the refresh_token cookie.',
  })
  @ApiNoContentResponse({ description: 'The session has ended' })
  async logout(@CurrentUser() auth: AuthUser, @Res({ passthrough: true }) res: Response): Promise<void> {
    clearRefreshCookie(res);
    await this.auth.logout(auth);
  }

  @Get('sessions')
  @ApiEndpoint({
    summary: "List the caller's sessions",
    description:
      'One per login (device), most recently used first; `current` marks the one making this request.',
  })
  @ApiOkResponse({ type: [SessionDto] })
  sessions(@CurrentUser() auth: AuthUser): Promise<SessionDto[]> {
    return this.auth.listSessions(auth);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiEndpoint({
    summary: 'End one of your sessions',
    description:
      "Logs that device out: the session's tokens stop working at once and its sockets get `session:ended` " +
      '(`revoked`; `logout` when it is the current session).',
    errors: ['SESSION_NOT_FOUND'],
  })
  @ApiNoContentResponse({ description: 'The session has ended' })
  revoke(@CurrentUser() auth: AuthUser, @Param('id', IdParam) id: string): Promise<void> {
    return this.auth.revokeSession(auth, id);
  }
}
