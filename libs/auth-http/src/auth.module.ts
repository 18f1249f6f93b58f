import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import {
  AccountService,
  AUDIT_LOG,
  AuditLog,
  AUTH_SETTINGS,
  AuthSettings,
  Clock,
  CLOCK,
  CredentialVerifier,
  ACCESS_STORE,
  AccessStore,
  CREDENTIAL_STORE,
  CredentialStore,
  ROBOT_STORE,
  RobotStore,
  SIGNING_KEY_STORE,
  SigningKeyStore,
  USER_STORE,
  UserStore,
  JwksKeyCache,
  LOGIN_RATE_LIMITER,
  LoginRateLimiter,
  SigningKeyRing,
  systemClock,
  TokenIssuer,
} from '@wharf/auth-core';
import type { WharfConfig } from '@wharf/config';
import {
  createRedisClient,
  PG_POOL,
  PgAccessStore,
  PgAuditLog,
  PgCredentialStore,
  PgRobotStore,
  PgSigningKeyStore,
  PgUserStore,
  ReadinessChecks,
} from '@wharf/database';
import { SecretBox } from '@wharf/identity';
import { AccessKeysController, AuthController } from './auth.controller';
import { API_VERIFICATION_KEYS, JwtAuthGuard, JwtStrategy } from '@wharf/api-http';
import { securityHeaders } from './security-headers.middleware';
import { RedisLoginRateLimiter } from './redis-login-rate-limiter';
import { TokenController } from './token.controller';

export const REDIS = Symbol('REDIS');
const AUTH_MODULE_OPTIONS = Symbol('AUTH_MODULE_OPTIONS');

export interface AuthModuleOptions {
  config: WharfConfig & { redisUrl: string; secretKey: string };
  /** Injectable clock (tests move it instead of sleeping). */
  clock?: Clock;
  /** Called once with the generated administrator password, when one had to be generated. */
  onAdminPassword?: (username: string, password: string) => void;
  /**
   * Serve `/token`, `/api/v1/auth` and `/api/v1/access-keys` (default). The `org` service sets it
   * false: it needs the guard, the stores and the key ring, not the auth service's endpoints.
   */
  endpoints?: boolean;
}

/**
 * The `auth` service: token endpoint, JWKS, API sign-in, temporary logins and access keys, and
 * the passport-jwt strategy other services' API modules reuse (export JwtAuthGuard). Needs
 * DatabaseModule for the pool. On start it creates the system administrator when none exists.
 */
@Module({})
export class AuthModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly accounts: AccountService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(AUTH_MODULE_OPTIONS) private readonly options: AuthModuleOptions,
    adapterHost: HttpAdapterHost,
  ) {
    // First in Express's chain, before the OpenAPI page's routes (mounted before Nest's own middleware).
    const express = adapterHost.httpAdapter.getInstance() as { disable(setting: string): void; set(setting: string, value: unknown): void; use(fn: unknown): void };
    express.disable('x-powered-by');
    // req.ip (login limits, audit) is the client behind the trusted proxies only.
    express.set('trust proxy', options.config.trustedProxies);
    express.use(securityHeaders);
  }

  static forRoot(options: AuthModuleOptions): DynamicModule {
    const c = options.config;
    const settings: AuthSettings = {
      region: c.region,
      service: c.tokenService,
      issuer: c.tokenIssuer,
      publicUrl: c.publicUrl,
      tokenTtlSeconds: c.tokenTtlSeconds,
      apiTokenTtlSeconds: 3600,
      refreshTokenTtlSeconds: 30 * 24 * 3600,
      anonymousPull: c.anonymousPull,
      orgQuota: c.orgQuota,
      secretKey: c.secretKey,
    };
    return {
      module: AuthModule,
      // Global: every API module (org, builds, …) uses the guard, identity store and audit log.
      global: true,
      imports: [PassportModule],
      controllers: options.endpoints === false ? [] : [TokenController, AuthController, AccessKeysController],
      providers: [
        { provide: AUTH_MODULE_OPTIONS, useValue: options },
        { provide: AUTH_SETTINGS, useValue: settings },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: SecretBox, useValue: new SecretBox(c.secretKey) },
        {
          provide: REDIS,
          useFactory: async (checks: ReadinessChecks) => {
            const { redis, ready } = createRedisClient(c.redisUrl, c.redisTimeoutMs);
            checks.add('redis', () => redis.ping());
            await ready;
            return redis;
          },
          inject: [ReadinessChecks],
        },
        // The stores, one per aggregate: accounts and users, their credentials, robots, organizations as access
        // control sees them, signing keys.
        { provide: USER_STORE, useFactory: (pool: Pool) => new PgUserStore(pool), inject: [PG_POOL] },
        { provide: CREDENTIAL_STORE, useFactory: (pool: Pool) => new PgCredentialStore(pool), inject: [PG_POOL] },
        { provide: ROBOT_STORE, useFactory: (pool: Pool) => new PgRobotStore(pool), inject: [PG_POOL] },
        { provide: ACCESS_STORE, useFactory: (pool: Pool) => new PgAccessStore(pool), inject: [PG_POOL] },
        { provide: SIGNING_KEY_STORE, useFactory: (pool: Pool) => new PgSigningKeyStore(pool), inject: [PG_POOL] },
        { provide: AUDIT_LOG, useFactory: (pool: Pool) => new PgAuditLog(pool), inject: [PG_POOL] },
        { provide: LOGIN_RATE_LIMITER, useFactory: (redis: Redis) => new RedisLoginRateLimiter(redis, c.loginMaxFailures, c.loginWindowSeconds), inject: [REDIS] },
        {
          provide: SigningKeyRing,
          useFactory: (s: SigningKeyStore, box: SecretBox, clock: Clock) => new SigningKeyRing(s, box, clock),
          inject: [SIGNING_KEY_STORE, SecretBox, CLOCK],
        },
        {
          provide: CredentialVerifier,
          useFactory: (u: UserStore, c: CredentialStore, r: RobotStore, a: AuditLog, l: LoginRateLimiter, box: SecretBox, clock: Clock) =>
            new CredentialVerifier(u, c, r, a, l, box, clock, settings),
          inject: [USER_STORE, CREDENTIAL_STORE, ROBOT_STORE, AUDIT_LOG, LOGIN_RATE_LIMITER, SecretBox, CLOCK],
        },
        {
          provide: TokenIssuer,
          useFactory: (s: AccessStore, k: SigningKeyRing, v: CredentialVerifier, a: AuditLog, clock: Clock) => new TokenIssuer(s, k, v, a, clock, settings),
          inject: [ACCESS_STORE, SigningKeyRing, CredentialVerifier, AUDIT_LOG, CLOCK],
        },
        {
          provide: AccountService,
          useFactory: (u: UserStore, c: CredentialStore, a: AuditLog, box: SecretBox, clock: Clock) => new AccountService(u, c, a, box, clock, settings),
          inject: [USER_STORE, CREDENTIAL_STORE, AUDIT_LOG, SecretBox, CLOCK],
        },
        // API tokens are checked against the published JWKS (WHARF_AUTH_JWKS_URL), as the registry checks its tokens.
        { provide: API_VERIFICATION_KEYS, useValue: JwksKeyCache.fromConfig(c) },
        JwtStrategy,
        JwtAuthGuard,
      ],
      exports: [JwtAuthGuard, SigningKeyRing, TokenIssuer, AccountService, USER_STORE, ROBOT_STORE, ACCESS_STORE, AUDIT_LOG, CLOCK],
    };
  }

  async onModuleInit(): Promise<void> {
    const { config, onAdminPassword } = this.options;
    const result = await this.accounts.bootstrapAdmin(config.adminUser, config.adminPassword);
    if (result.generatedPassword) onAdminPassword?.(config.adminUser, result.generatedPassword);
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
