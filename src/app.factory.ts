import { join } from 'path';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { static as serveStatic, type Application, type RequestHandler } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ExpressAdapterWithStablePrototypes } from './common/express-adapter';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { jsonBody } from './common/json-body';
import { Lifecycle } from './common/lifecycle';
import { Metrics } from './common/metrics';
import { PACKAGE } from './common/package-info';
import { securityHeaders } from './common/security-headers';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { buildAsyncApi } from './realtime/asyncapi';

/** Builds the API application; main.ts and the end-to-end tests both boot it through here. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config),
    new ExpressAdapterWithStablePrototypes(),
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.use(app.get(Lifecycle).httpGate());
  app.use(app.get(Metrics).http());
  app.use(jsonBody(config.bodyLimitBytes));
  app.use(webClient(join(__dirname, '..', 'client')));
  app.setGlobalPrefix('api', { exclude: ['metrics'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  if (config.docsEnabled) setupSwagger(app);
  return app;
}

/** Where the AsyncAPI document is served: outside the /api prefix, next to Swagger UI (/docs) and /docs-json. */
export const ASYNCAPI_PATH = '/docs/asyncapi';

function setupSwagger(app: NestExpressApplication): void {
  // The Socket.IO events as AsyncAPI (src/realtime/asyncapi.ts; checked in as docs/asyncapi.json). A plain Express
  // route: it passes the security headers, the drain gate and the metrics like every other request.
  const asyncApi = buildAsyncApi();
  (app.getHttpAdapter().getInstance() as Application).get(ASYNCAPI_PATH, (_req, res) => {
    res.json(asyncApi);
  });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Messenger API')
      .setDescription(
        'REST API of the messenger. Register or log in under "auth", press "Authorize" and paste the accessToken. ' +
          'Real-time events use Socket.IO at /socket.io: AsyncAPI document at /docs/asyncapi; conventions, errors ' +
          'and delivery guarantees in docs/api.md.',
      )
      .setVersion(PACKAGE.version)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

/** Paths the API answers; the web client's files are never looked for there. */
const API_PATH = /^\/(api|metrics|docs)(\/|\?|-json|$)/;

/**
 * The web client (client/): served here for local runs; Nginx serves it in Docker. Only for paths outside the
 * API: serve-static looks every path it is given up on disk (a stat on libuv's thread pool, and an ENOENT
 * error for each API request), before the request goes on to its route.
 */
function webClient(dir: string): RequestHandler {
  const files = serveStatic(dir);
  return (req, res, next) => (API_PATH.test(req.url) ? next() : files(req, res, next));
}
