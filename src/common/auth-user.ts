import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** What an authenticated request (or socket) knows about its caller. */
export interface AuthUser {
  userId: string;
  sessionId: string;
}

export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthUser => ctx.switchToHttp().getRequest<{ user: AuthUser }>().user,
);

export const IS_PUBLIC = 'isPublic';
/** Opens a route to callers without an access token (the guard is global). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
