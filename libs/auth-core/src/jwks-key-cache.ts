import { createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OciError } from '@wharf/oci-errors';
import { fetchJson } from '@wharf/util';

/** Where a JWKS document comes from (the auth service's `/token/jwks.json`). */
export type JwksSource = () => Promise<unknown>;

/** Verification keys by `kid`: the one way every service checks a token's signature. */
export interface VerificationKeys {
  /** The key, or null when the issuer does not publish that kid (after at most one refresh). */
  get(kid: string): Promise<KeyObject | null>;
}

/**
 * Verification keys from the auth service's JWKS, cached in memory: a token verification never
 * calls out, except when a token names a `kid` not seen yet (key rotation). Such refreshes are
 * coalesced and spaced at least `minRefreshMs` apart: every request with an unknown kid joins the one
 * pending refresh (scheduled for the next allowed moment), so made-up kids cannot turn into a flood
 * of JWKS fetches however the waiters' timers happen to fall. Registry tokens (`/v2`) and API
 * bearer tokens (`/api`) are both verified through one of these.
 */
export class JwksKeyCache implements VerificationKeys {
  private keys = new Map<string, KeyObject>();
  private lastFetch = 0;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly source: JwksSource,
    private readonly minRefreshMs = 1_000,
  ) {}

  /** Keys published at `url` (`ca`: an extra authority to trust there, for a self-signed auth service). */
  static overHttp(url: string, options: { ca?: Buffer; minRefreshMs?: number } = {}): JwksKeyCache {
    return new JwksKeyCache(() => fetchJson(url, { ca: options.ca }), options.minRefreshMs);
  }

  /** The keys a service is configured to trust: WHARF_AUTH_JWKS_URL, with WHARF_AUTH_JWKS_CA read once. */
  static fromConfig(config: { jwksUrl: string; jwksCaFile?: string }): JwksKeyCache {
    return JwksKeyCache.overHttp(config.jwksUrl, { ca: config.jwksCaFile ? readFileSync(config.jwksCaFile) : undefined });
  }

  async get(kid: string): Promise<KeyObject | null> {
    const known = this.keys.get(kid);
    if (known) return known;
    await this.refreshSoon();
    return this.keys.get(kid) ?? null;
  }

  /** The one pending refresh: started now when allowed, else at lastFetch + minRefreshMs. */
  private refreshSoon(): Promise<void> {
    if (this.pending) return this.pending;
    const wait = this.lastFetch + this.minRefreshMs - Date.now();
    this.pending = (async () => {
      try {
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const body = (await this.source()) as { keys?: (Record<string, unknown> & { kid?: string })[] };
        const next = new Map<string, KeyObject>();
        for (const jwk of body.keys ?? []) {
          if (typeof jwk.kid === 'string') next.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
        }
        this.keys = next;
      } finally {
        this.lastFetch = Date.now();
        this.pending = null;
      }
    })();
    return this.pending;
  }
}

/** The answer to a request whose token cannot be checked because the keys could not be fetched. */
export function keysUnavailable(err: Error): OciError {
  return new OciError('UNAVAILABLE', `the auth service's signing keys could not be fetched (${err.message}); try again shortly`, undefined, { 'retry-after': '5' });
}
