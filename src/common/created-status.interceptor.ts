import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { map, Observable } from 'rxjs';

/** What an idempotent create returns: the resource, and whether this call created it. */
export interface CreateResult<T> {
  created: boolean;
  value: T;
}

/**
 * The HTTP side of idempotent creates: 201 for the call that created the resource, 200 for every replay
 * that found it already there. The service decides which through the unique index, never by a prior read.
 */
@Injectable()
export class CreatedStatusInterceptor<T> implements NestInterceptor<CreateResult<T>, T> {
  intercept(context: ExecutionContext, next: CallHandler<CreateResult<T>>): Observable<T> {
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map(({ created, value }) => {
        res.status(created ? 201 : 200);
        return value;
      }),
    );
  }
}
