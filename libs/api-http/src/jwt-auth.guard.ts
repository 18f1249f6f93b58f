import { Inject, Injectable } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import jwt from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { OciError } from '@wharf/oci-errors';
import { API_AUDIENCE, AUTH_SETTINGS, AuthSettings, VerificationKeys } from '@wharf/auth-core';
import { storeErrorAsOci } from '@wharf/database';
import { keysUnavailable } from '@wharf/auth-core';

export interface ApiUser {
  userId: string;
  username: string;
  /** Credential generation the token was issued at; AccountService.requireUser compares it. */
  generation: number;
}

/**
 * The keys API bearer tokens are checked with: the auth service's JWKS through a JwksKeyCache, as
 * the registry checks its tokens (no database read per request; a new `kid` after a rotation is one
 * coalesced refresh).
 */
export const API_VERIFICATION_KEYS = Symbol('API_VERIFICATION_KEYS');

/**
 * passport-jwt strategy for the management API and console: bearer tokens from
 * `POST /api/v1/auth/login`, verified with the auth service's published keys (by `kid`), audience
 * `wharf-api`.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(API_VERIFICATION_KEYS) keys: VerificationKeys, @Inject(AUTH_SETTINGS) settings: AuthSettings) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: ['RS256'],
      audience: API_AUDIENCE,
      issuer: settings.issuer,
      secretOrKeyProvider: (_req: unknown, rawJwt: string, done: (err: unknown, key?: string) => void) => {
        const kid = jwt.decode(rawJwt, { complete: true })?.header.kid;
        if (!kid) return done(new Error('token has no kid'));
        keys.get(kid).then(
          (key) => (key ? done(null, key.export({ format: 'pem', type: 'spki' }) as string) : done(new Error('unknown signing key'))),
          (err: Error) => done(keysUnavailable(err)),
        );
      },
    });
  }

  validate(payload: { sub: string; wharf?: { typ?: string; uid?: string; gen?: number } }): ApiUser | false {
    if (payload.wharf?.typ !== 'api' || !payload.wharf.uid) return false;
    return { userId: payload.wharf.uid, username: payload.sub, generation: payload.wharf.gen ?? 0 };
  }
}

/**
 * Guard for every management API route that needs a signed-in user. A key lookup that failed
 * because the auth service or the database did not answer is a 503, not a 401 (passport reports
 * both as failures).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<TUser>(err: unknown, user: TUser | false, info: unknown): TUser {
    // passport-jwt reports a key provider's error as `info` (a failure), not as `err`.
    const down = [err, info].find((e): e is OciError => e instanceof OciError) ?? storeErrorAsOci(err) ?? storeErrorAsOci(info);
    if (down) throw down;
    return super.handleRequest(err, user, info, undefined as never) as TUser;
  }
}
