import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import type { Request } from 'express';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { REDIS } from '../redis/redis.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { UsersModule } from '../users/users.module';
import { authAccountOf, AuthThrottlerGuard } from './auth-throttler.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { LoginLimiter } from './login-limiter';
import { SessionStore } from './session.store';
import { ACCESS_TOKEN_ALGORITHM, accessTokenKey } from './access-token-key';

@Module({
  imports: [
    UsersModule,
    ProfilesModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: accessTokenKey(config.jwtSecret),
        signOptions: { expiresIn: config.accessTokenTtlSec, algorithm: ACCESS_TOKEN_ALGORITHM },
        verifyOptions: { algorithms: [ACCESS_TOKEN_ALGORITHM] },
      }),
    }),
    // Counted in Redis so the limits hold across API instances.
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, REDIS],
      useFactory: (config: AppConfig, redis: Redis) => ({
        throttlers: [
          {
            name: 'ip',
            ttl: 60_000,
            limit: config.throttle.authPerMinute,
            getTracker: (req: { ip?: string }) => `ip:${req.ip}`,
          },
          {
            name: 'account',
            ttl: 60_000,
            limit: config.throttle.authPerMinute,
            skipIf: (context) => authAccountOf(context.switchToHttp().getRequest()) === undefined,
            getTracker: (req) => authAccountOf(req as Request)!,
          },
        ],
        storage: new ThrottlerStorageRedisService(redis),
        setHeaders: false,
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    SessionStore,
    JwtStrategy,
    AuthThrottlerGuard,
    LoginLimiter,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
  exports: [AuthService],
})
export class AuthModule {}
