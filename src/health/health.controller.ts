import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import Redis from 'ioredis';
import { Public } from '../common/auth-user';
import { AppError } from '../common/app-error';
import { ErrorResponseDto } from '../common/error-response.dto';
import { REDIS } from '../redis/redis.module';
import { Lifecycle } from '../common/lifecycle';
import { UNAVAILABLE_RETRY_AFTER_SEC } from '../common/unavailable';

const TIMEOUT_MS = 1500;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly lifecycle: Lifecycle,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL and Redis both answer within the timeout. */
  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({
    schema: { example: { status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } } },
  })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto })
  async ready(): Promise<HealthCheckResult> {
    // Draining (SIGTERM): tell the load balancer first, before anything stops.
    if (!this.lifecycle.ready) throw new AppError('SERVICE_UNAVAILABLE', 'Shutting down', undefined, 1);
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: TIMEOUT_MS }),
        () => this.pingRedis(),
      ]);
    } catch (err) {
      const details = (err as { response?: unknown }).response;
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'Not ready: a dependency is unreachable',
        details,
        UNAVAILABLE_RETRY_AFTER_SEC,
      );
    }
  }

  private async pingRedis() {
    const indicator = this.indicators.check('redis');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), TIMEOUT_MS))),
      ]);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}
