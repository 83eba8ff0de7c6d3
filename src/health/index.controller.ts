import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../common/api-docs';
import { Public } from '../common/auth-user';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PACKAGE } from '../common/package-info';

class ApiIndexDto {
  @ApiProperty({ example: 'messenger' })
  name: string;
  @ApiProperty({ example: '0.1.0', description: "The server's version (package.json)" })
  version: string;
  @ApiPropertyOptional({ example: '/docs', description: 'Swagger UI; absent when DOCS_ENABLED=false' })
  docs?: string;
  @ApiPropertyOptional({
    example: '/docs-json',
    description: 'The OpenAPI document; absent when DOCS_ENABLED=false',
  })
  openapi?: string;
  @ApiPropertyOptional({
    example: '/docs/asyncapi',
    description: 'The Socket.IO events (AsyncAPI); absent when DOCS_ENABLED=false',
  })
  asyncapi?: string;
  @ApiProperty({
    example: '/api/health/ready',
    description: 'Readiness: PostgreSQL and Redis answer (200 or 503)',
  })
  health: string;
  @ApiProperty({ example: '/socket.io', description: 'The Socket.IO path (default namespace)' })
  socketIo: string;
}

/** GET /api: what a newcomer (or a script) needs to find everything else. */
@ApiTags('health')
@Public()
@Controller()
export class IndexController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @ApiEndpoint({
    summary: 'Where everything is: version, docs, health, Socket.IO',
    description: 'Paths are relative to this server. The docs links are left out when DOCS_ENABLED=false.',
    public: true,
  })
  @ApiOkResponse({ type: ApiIndexDto })
  index(): ApiIndexDto {
    const docs = this.config.docsEnabled
      ? { docs: '/docs', openapi: '/docs-json', asyncapi: '/docs/asyncapi' }
      : {};
    return {
      name: PACKAGE.name,
      version: PACKAGE.version,
      ...docs,
      health: '/api/health/ready',
      socketIo: '/socket.io',
    };
  }
}
