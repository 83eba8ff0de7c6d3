import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import * as bcrypt from 'bcrypt';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AppError } from '../common/app-error';
import { AuthUser } from '../common/auth-user';
import { EventBus } from '../common/events';
import { ProfilesService } from '../profiles/profiles.service';
import { UsersService } from '../users/users.service';
import { AuthResponseDto, LoginDto, RegisterDto, SessionDto, TokensDto } from './dto/auth.dto';
import './auth.events';
import { LoginLimiter } from './login-limiter';
import { SessionStore } from './session.store';

export interface AccessTokenPayload {
  sub: string;
  sid: string;
}

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

const INVALID_CREDENTIALS = () => new AppError('INVALID_CREDENTIALS', 'Invalid login or password');
const INVALID_REFRESH = () =>
  new AppError('REFRESH_TOKEN_INVALID', 'Refresh token is invalid, expired or already used');

@Injectable()
export class AuthService {
  /** Compared against when the user does not exist, so both failures cost one bcrypt comparison. */
  private readonly dummyHash: Promise<string>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly profiles: ProfilesService,
    private readonly sessions: SessionStore,
    private readonly jwt: JwtService,
    private readonly loginLimiter: LoginLimiter,
    private readonly events: EventBus,
  ) {
    this.dummyHash = bcrypt.hash('timing-equaliser', config.bcryptRounds);
  }

  async register(dto: RegisterDto, client: ClientInfo): Promise<AuthResponseDto> {
    // bcrypt's async API hashes on the libuv thread pool, off the event loop.
    const passwordHash = await bcrypt.hash(dto.password, this.config.bcryptRounds);
    const user = await this.users.create({
      email: dto.email,
      username: dto.username,
      displayName: dto.displayName ?? dto.username,
      passwordHash,
    });
    const tokens = await this.startSession(user.id, deviceName(undefined, client), client.ip);
    return { user: (await this.profiles.views(user.id, [user]))[0], ...tokens };
  }

  async login(dto: LoginDto, client: ClientInfo): Promise<AuthResponseDto> {
    const user = await this.users.findForLogin(dto.login);
    // Budgets per login name as typed, known or not: one per account (username and email together) would
    // tell which email belongs to which username (lock one, try the other), and emails are private.
    const succeeded = await this.loginLimiter.reserve(`login:${dto.login.trim().toLowerCase()}`, client.ip);
    const ok = await bcrypt.compare(dto.password, user?.passwordHash ?? (await this.dummyHash));
    if (!user || !ok) throw INVALID_CREDENTIALS();
    await succeeded();
    const tokens = await this.startSession(user.id, deviceName(dto.deviceName, client), client.ip);
    // UserDto.from copies public fields only, so the hash never leaves.
    return { user: (await this.profiles.views(user.id, [user]))[0], ...tokens };
  }

  async refresh(refreshToken: string): Promise<TokensDto> {
    const result = await this.sessions.rotate(refreshToken, this.config.refreshTokenTtlSec);
    if (result.kind === 'reused') {
      // A spent token came back: someone holds a copy. The session is gone; so are its sockets.
      this.events.emit('session.ended', {
        userId: result.userId,
        sessionId: result.sessionId!,
        reason: 'revoked',
      });
    }
    if (result.kind !== 'rotated') throw INVALID_REFRESH();
    return {
      accessToken: await this.signAccess(result.userId, result.sessionId!),
      refreshToken: result.refreshToken,
    };
  }

  async logout(auth: AuthUser): Promise<void> {
    if (await this.sessions.revoke(auth.userId, auth.sessionId))
      this.events.emit('session.ended', { ...auth, reason: 'logout' });
  }

  async listSessions(auth: AuthUser): Promise<SessionDto[]> {
    const sessions = await this.sessions.list(auth.userId);
    return sessions.map(({ userId: _u, ...s }) => ({ ...s, current: s.id === auth.sessionId }));
  }

  async revokeSession(auth: AuthUser, sessionId: string): Promise<void> {
    if (!(await this.sessions.revoke(auth.userId, sessionId)))
      throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    this.events.emit('session.ended', {
      userId: auth.userId,
      sessionId,
      reason: sessionId === auth.sessionId ? 'logout' : 'revoked',
    });
  }

  /** The one access-token check, for REST (via passport-jwt) and Socket.IO handshakes alike. */
  async validatePayload(payload: Partial<AccessTokenPayload> & { exp?: unknown }): Promise<AuthUser> {
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw unauthorized();
    // Every token this server signs expires; one without exp (only the secret's holder could make one) would
    // never end, and a socket opened with it would never be closed for expiry.
    if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) throw unauthorized();
    if (!(await this.sessions.isActive(payload.sid, payload.sub))) throw unauthorized();
    return { userId: payload.sub, sessionId: payload.sid };
  }

  /** For socket handshakes: who, and until when (ms since the epoch) the token is good. */
  async authenticateToken(token: unknown): Promise<{ user: AuthUser; expiresAt: number }> {
    if (typeof token !== 'string' || token.length === 0) throw unauthorized();
    let payload: AccessTokenPayload & { exp: number };
    try {
      payload = await this.jwt.verifyAsync<AccessTokenPayload & { exp: number }>(token);
    } catch {
      throw unauthorized();
    }
    return { user: await this.validatePayload(payload), expiresAt: payload.exp * 1000 };
  }

  private async startSession(userId: string, device: string, ip: string): Promise<TokensDto> {
    const { sessionId, refreshToken } = await this.sessions.create(
      userId,
      { deviceName: device, ip },
      this.config.refreshTokenTtlSec,
    );
    return { accessToken: await this.signAccess(userId, sessionId), refreshToken };
  }

  private signAccess(userId: string, sessionId: string): Promise<string> {
    const payload: AccessTokenPayload = { sub: userId, sid: sessionId };
    return this.jwt.signAsync(payload);
  }
}

function unauthorized(): AppError {
  return new AppError('UNAUTHORIZED', 'Missing, invalid, expired or revoked access token');
}

function deviceName(given: string | undefined, client: ClientInfo): string {
  return given ?? client.userAgent?.slice(0, 64) ?? 'unknown device';
}
