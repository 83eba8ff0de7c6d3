import { createServer, IncomingMessage, ServerResponse } from 'http';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';

/**
 * Nest's Express adapter, with request and response objects that are born with Express's prototypes.
 *
 * Express gives every request and response its prototype after Node made them
 * (`Object.setPrototypeOf(req, app.request)` in `app.handle`), and V8 then makes a new hidden class for each
 * of them. Those per-request hidden classes live in the old generation, and what they point to survives every
 * young-generation GC until a full one: about everything a request allocated was copied and promoted
 * (measured: 21 KB per request on a 404; scavenges of 2-4 ms instead of under 1 ms; see docs/performance.md).
 *
 * Node lets the server make its requests and responses from given classes. These are subclasses of Node's,
 * whose prototypes sit in front of Express's (`app.request` → Express's request → `IncomingMessage.prototype`)
 * and become `app.request` and `app.response`: Express's `setPrototypeOf` then finds the prototype already in
 * place and changes nothing, and V8's in-object layout for the subclass stays as fast as Node's own.
 */
export class ExpressAdapterWithStablePrototypes extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    // HTTPS and forced closing keep Nest's own path (neither is used: TLS ends at Nginx).
    if (options?.httpsOptions || options?.forceCloseConnections) return super.initHttpServer(options);
    const app = this.getInstance<Express>();
    class Request extends IncomingMessage {}
    class Response extends ServerResponse {}
    Object.setPrototypeOf(Request.prototype, app.request);
    Object.setPrototypeOf(Response.prototype, app.response);
    app.request = Request.prototype as unknown as Express['request'];
    app.response = Response.prototype as unknown as Express['response'];
    this.httpServer = createServer({ IncomingMessage: Request, ServerResponse: Response }, app);
  }
}
