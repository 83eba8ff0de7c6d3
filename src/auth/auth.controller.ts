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
  ApiHeader,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorResponseDto } from '../common/error-response.dto';
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

@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Validation failed or malformed JSON' })
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
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Email or username taken' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
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
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description: 'Same answer for an unknown user and a wrong password',
  })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
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
  @ApiOkResponse({ type: TokensDto, description: 'The presented refresh token is spent; use the new one' })
  @ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description: 'Invalid or spent token (a spent one revokes its session)',
  })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
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

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "The session's access and refresh tokens stop working at once" })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto })
  async logout(@CurrentUser() auth: AuthUser, @Res({ passthrough: true }) res: Response): Promise<void> {
    clearRefreshCookie(res);
    await this.auth.logout(auth);
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
