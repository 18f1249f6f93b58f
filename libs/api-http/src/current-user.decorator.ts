import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { ApiUser } from './jwt-auth.guard';

/**
 * The signed-in user as the verified bearer token names them (`JwtAuthGuard` runs first): no
 * database lookup. Services that need the stored user (enabled, credential generation) ask
 * `AccountService.requireUser` with it.
 */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): ApiUser => {
  return ctx.switchToHttp().getRequest<{ user: ApiUser }>().user;
});
