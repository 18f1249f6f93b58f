/**
 * Typed configuration from environment variables, validated once at boot. `loadConfig` collects
 * every problem and throws one ConfigError listing them all, so a bad deployment fails fast with
 * a message an operator can act on. Every variable is documented in the root README.
 */
export type StorageKind = 'filesystem' | 's3';
export type AuthMode = 'token' | 'none';

export interface S3Config {
  bucket: string;
  region: string;
  endpoint: string | undefined;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
  prefix: string;
  /** Answer blob GETs with a redirect to a presigned URL instead of streaming. */
  redirect: boolean;
}

export interface WharfConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  auth: AuthMode;
  storage: StorageKind;
  s3: S3Config | undefined;
  fsFsync: boolean;
  /** Large filesystem writes with O_DIRECT where supported (less CPU than page cache + fsync). */
  fsDirectIo: boolean;
  maxLayerBytes: number;
  maxManifestBytes: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Base URL clients reach Wharf at (token realm, login commands); default http://<host>:<port>. */
  publicUrl: string;
  region: string;
  tokenService: string;
  tokenIssuer: string;
  tokenTtlSeconds: number;
  /** Where the registry fetches the token verification keys; default `<publicUrl>/token/jwks.json`. */
  jwksUrl: string;
  /** A CA certificate (PEM file) to trust for the JWKS URL besides the system's (a self-signed auth service). */
  jwksCaFile: string | undefined;
  /** Key sealing stored secrets and signing keys; required by the auth service (single-machine mode generates one). */
  secretKey: string | undefined;
  adminUser: string;
  adminPassword: string | undefined;
  anonymousPull: boolean;
  orgQuota: number;
  loginMaxFailures: number;
  /** The window failed logins are counted in, and how long a lock lasts. */
  loginWindowSeconds: number;
  /** Proxies whose X-Forwarded-For is believed (the ingress): addresses, CIDRs or loopback/linklocal/uniquelocal. */
  trustedProxies: string[];
  /** Longest a database statement may run before it is cancelled (callers then get 503). */
  dbStatementTimeoutMs: number;
  /** Longest to wait for a database connection. */
  dbConnectTimeoutMs: number;
  /** Longest a Redis command (and a Redis connection attempt) may take. */
  redisTimeoutMs: number;
  /**
   * HTTPS: `files` serves WHARF_TLS_CERT/WHARF_TLS_KEY; `self-signed` (single-machine mode) makes
   * a CA and a server certificate in the data directory; `off` serves plain HTTP (behind an ingress).
   */
  tls: 'off' | 'files' | 'self-signed';
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Longest a stopping service waits for in-flight requests and jobs before it exits (SIGTERM). */
  shutdownTimeoutMs: number;
  /** Garbage collection leaves alone whatever was linked, pushed or active within this window. */
  gcGraceSeconds: number;
  /** Upload sessions idle this long are abandoned (garbage collection removes them and their bytes). */
  uploadTtlHours: number;
  /** Cron expression for scheduled garbage collection runs; unset: on demand only. */
  gcSchedule: string | undefined;
  /** Garbage collection keeps manifests no tag, index or subject keeps (default: they are garbage). */
  gcKeepUntagged: boolean;
  /** Cron expression of the daily retention run (policies with `daily`). */
  retentionSchedule: string;
  /** Page upload: largest archive, also after decompression (2 GiB). */
  uploadMaxFileBytes: number;
  /** Page upload: files per request (10). */
  uploadMaxFiles: number;
  /** Page upload: an account's files not yet imported, over all its requests (beyond: 429). */
  uploadMaxPending: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(key: string, fallback?: string): string | undefined {
    const v = this.env[key];
    return v === undefined || v === '' ? fallback : v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.str(key);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${key}="${v}" must be one of: ${allowed.join(', ')}`);
    return fallback;
  }

  int(key: string, fallback: number, min: number, max: number): number {
    const v = this.str(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${key}="${v}" must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return n;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.str(key);
    if (v === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(v.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
    this.problems.push(`${key}="${v}" must be true or false`);
    return fallback;
  }

  url(key: string, protocols: readonly string[]): string | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) {
        this.problems.push(`${key} must use one of: ${protocols.join(', ')}`);
      }
    } catch {
      this.problems.push(`${key} is not a valid URL`);
    }
    return v;
  }
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export function loadConfig(env: Env = process.env): WharfConfig {
  const r = new Reader(env);
  const bucket = r.str('WHARF_S3_BUCKET');
  const storage = r.oneOf<StorageKind>('WHARF_STORAGE', ['filesystem', 's3'], bucket ? 's3' : 'filesystem');
  if (storage === 's3' && !bucket) r.problems.push('WHARF_STORAGE=s3 needs WHARF_S3_BUCKET');
  const config: WharfConfig = {
    host: r.str('WHARF_HOST', '127.0.0.1') as string,
    port: r.int('WHARF_PORT', 5000, 0, 65535),
    dataDir: r.str('WHARF_DATA_DIR', './.wharf') as string,
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    auth: r.oneOf<AuthMode>('WHARF_AUTH', ['token', 'none'], 'token'),
    storage,
    s3:
      storage === 's3'
        ? {
            bucket: bucket ?? '',
            region: r.str('WHARF_S3_REGION', 'us-east-1') as string,
            endpoint: r.url('WHARF_S3_ENDPOINT', ['http:', 'https:']),
            accessKeyId: r.str('WHARF_S3_ACCESS_KEY'),
            secretAccessKey: r.str('WHARF_S3_SECRET_KEY'),
            forcePathStyle: r.bool('WHARF_S3_FORCE_PATH_STYLE', true),
            prefix: r.str('WHARF_S3_PREFIX', '') as string,
            redirect: r.bool('WHARF_S3_REDIRECT', false),
          }
        : undefined,
    fsFsync: r.bool('WHARF_FS_FSYNC', true),
    fsDirectIo: r.bool('WHARF_FS_DIRECT_IO', true),
    maxLayerBytes: r.int('WHARF_MAX_LAYER_BYTES', 10 * GiB, 1, Number.MAX_SAFE_INTEGER),
    maxManifestBytes: r.int('WHARF_MAX_MANIFEST_BYTES', 4 * MiB, 1024, 64 * MiB),
    logLevel: r.oneOf('WHARF_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    publicUrl: '',
    region: r.str('WHARF_REGION', 'local') as string,
    tokenService: r.str('WHARF_TOKEN_SERVICE', 'wharf-registry') as string,
    tokenIssuer: r.str('WHARF_TOKEN_ISSUER', 'wharf-auth') as string,
    tokenTtlSeconds: r.int('WHARF_TOKEN_TTL_SECONDS', 300, 30, 86_400),
    jwksUrl: '',
    jwksCaFile: r.str('WHARF_AUTH_JWKS_CA'),
    secretKey: r.str('WHARF_SECRET_KEY'),
    adminUser: r.str('WHARF_ADMIN_USER', 'admin') as string,
    adminPassword: r.str('WHARF_ADMIN_PASSWORD'),
    anonymousPull: r.bool('WHARF_ANONYMOUS_PULL', true),
    orgQuota: r.int('WHARF_ORG_QUOTA', 5, 0, 100_000),
    loginMaxFailures: r.int('WHARF_LOGIN_MAX_FAILURES', 5, 1, 1000),
    loginWindowSeconds: r.int('WHARF_LOGIN_WINDOW_SECONDS', 900, 1, 86_400),
    trustedProxies: (r.str('WHARF_TRUSTED_PROXIES', 'loopback') as string).split(',').map((p) => p.trim()).filter(Boolean),
    dbStatementTimeoutMs: r.int('WHARF_DB_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
    dbConnectTimeoutMs: r.int('WHARF_DB_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
    redisTimeoutMs: r.int('WHARF_REDIS_TIMEOUT_MS', 2_000, 50, 600_000),
    shutdownTimeoutMs: r.int('WHARF_SHUTDOWN_TIMEOUT_MS', 25_000, 0, 3_600_000),
    gcGraceSeconds: r.int('WHARF_GC_GRACE_SECONDS', 3600, 0, 30 * 86_400),
    uploadTtlHours: r.int('WHARF_UPLOAD_TTL_HOURS', 24, 1, 24 * 365),
    gcSchedule: r.str('WHARF_GC_SCHEDULE'),
    gcKeepUntagged: r.bool('WHARF_GC_KEEP_UNTAGGED', false),
    retentionSchedule: r.str('WHARF_RETENTION_SCHEDULE', '30 3 * * *') as string,
    uploadMaxFileBytes: r.int('WHARF_UPLOAD_MAX_FILE_BYTES', 2 * GiB, 1024, 64 * GiB),
    uploadMaxFiles: r.int('WHARF_UPLOAD_MAX_FILES', 10, 1, 100),
    uploadMaxPending: r.int('WHARF_UPLOAD_MAX_PENDING', 20, 1, 10_000),
    tls: 'off',
    tlsCert: undefined,
    tlsKey: undefined,
  };
  config.tlsCert = r.str('WHARF_TLS_CERT');
  config.tlsKey = r.str('WHARF_TLS_KEY');
  if (!config.tlsCert !== !config.tlsKey) r.problems.push('WHARF_TLS_CERT and WHARF_TLS_KEY go together: set both or neither');
  config.tls = r.oneOf('WHARF_TLS', ['off', 'files', 'self-signed'] as const, config.tlsCert ? 'files' : 'off');
  if (config.tls === 'files' && !config.tlsCert) r.problems.push('WHARF_TLS=files needs WHARF_TLS_CERT and WHARF_TLS_KEY');
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const scheme = config.tls === 'off' ? 'http' : 'https';
  config.publicUrl = (r.url('WHARF_PUBLIC_URL', ['http:', 'https:']) ?? `${scheme}://${displayHost}:${config.port}`).replace(/\/+$/, '');
  config.jwksUrl = r.url('WHARF_AUTH_JWKS_URL', ['http:', 'https:']) ?? `${config.publicUrl}/token/jwks.json`;
  if (config.secretKey !== undefined && config.secretKey.length < 32) r.problems.push('WHARF_SECRET_KEY must be at least 32 characters');
  if (!/^[a-z0-9-]{1,32}$/.test(config.region)) r.problems.push(`WHARF_REGION="${config.region}" must be 1-32 lowercase letters, digits or "-"`);
  for (const p of config.trustedProxies) {
    if (!/^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(p)) r.problems.push(`WHARF_TRUSTED_PROXIES: "${p}" is not an address, a CIDR or loopback/linklocal/uniquelocal`);
  }
  // Five or six cron fields (BullMQ's job scheduler reads them; it names a bad field at start).
  for (const [key, value] of [['WHARF_GC_SCHEDULE', config.gcSchedule], ['WHARF_RETENTION_SCHEDULE', config.retentionSchedule]] as const) {
    if (value !== undefined && !/^\s*\S+(\s+\S+){4,5}\s*$/.test(value)) r.problems.push(`${key}="${value}" must be a cron expression of 5 or 6 fields, e.g. "0 3 * * *"`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
