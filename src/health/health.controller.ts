import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
import { ApiEndpoint } from '../common/api-docs';
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
  @ApiEndpoint({
    summary: 'Liveness: the process answers',
    description: 'Always 200 while the process runs, also while it drains on shutdown; checks nothing else.',
    public: true,
    outages: false,
  })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL and Redis both answer within the timeout. */
  @Get('ready')
  // Terminus would document its own 503 body; ours is the shared error shape (AppError, below).
  @HealthCheck({ swaggerDocumentation: false })
  @ApiEndpoint({
    summary: 'Readiness: PostgreSQL and Redis answer',
    description:
      `200 when both answer within ${TIMEOUT_MS} ms. 503 when either does not (\`details\` says which), and ` +
      'from the moment a SIGTERM begins the shutdown, so that a load balancer stops sending first.',
    public: true,
    errors: [
      {
        code: 'SERVICE_UNAVAILABLE',
        when: 'a dependency is unreachable (`details` says which), or this instance is shutting down',
        message: 'Not ready: a dependency is unreachable',
        retryAfter: null,
        details: {
          status: 'error',
          info: { redis: { status: 'up' } },
          error: { database: { status: 'down', message: 'timeout of 1500ms exceeded' } },
          details: {
            database: { status: 'down', message: 'timeout of 1500ms exceeded' },
            redis: { status: 'up' },
          },
        },
      },
    ],
  })
  @ApiOkResponse({
    schema: { example: { status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } } },
  })
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
