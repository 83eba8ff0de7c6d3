import { Global, Injectable, Module } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from './app-error';

/**
 * The process's shutdown state, in two steps. On SIGTERM readiness answers 503 at once (`leaving`) while
 * everything is still served for a moment, so a load balancer stops sending without a single refused request;
 * then the gateway starts draining: new HTTP requests and socket events are refused with 503/UNAVAILABLE (the
 * client retries elsewhere), and the work already accepted is finished before anything closes.
 */
@Injectable()
export class Lifecycle {
  private leaving = false;
  private drainingSince?: number;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  /** False from the moment shutdown begins: readiness answers 503. */
  get ready(): boolean {
    return !this.leaving;
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  announceLeaving(): void {
    this.leaving = true;
  }

  startDraining(): void {
    this.leaving = true;
    this.drainingSince ??= Date.now();
  }

  refusal(): AppError {
    return new AppError('SERVICE_UNAVAILABLE', 'This instance is shutting down; retry', undefined, 1);
  }

  /** Counts HTTP requests in flight and refuses new ones while draining (liveness stays open). */
  httpGate(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      if (this.draining && !req.path.startsWith('/api/health')) {
        res.setHeader('Connection', 'close');
        return next(this.refusal());
      }
      this.inFlight += 1;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.inFlight -= 1;
        if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((w) => w());
      };
      res.once('finish', finish);
      res.once('close', finish);
      next();
    };
  }

  /** Resolves when no HTTP request is in flight. */
  httpIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

@Global()
@Module({ providers: [Lifecycle], exports: [Lifecycle] })
export class LifecycleModule {}
