import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { map, Observable } from 'rxjs';

/** What an idempotent create returns: the resource, and whether this call created it. */
export interface CreateResult<T> {
  created: boolean;
  value: T;
}

/**
 * The HTTP face of idempotent creates (the brief's "idempotency interceptor"): 201 for the call that created
 * the resource, 200 for every replay that found it already there. It decides nothing itself: whether a send is
 * new or a replay is settled by the unique index on messages (sender_id, client_msg_id) inside the send
 * statement (MessagesRepository), so the same rule covers REST, Socket.IO and every instance at once — an
 * interceptor holding state could not.
 */
@Injectable()
export class IdempotentCreateInterceptor<T> implements NestInterceptor<CreateResult<T>, T> {
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
