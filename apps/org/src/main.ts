import 'reflect-metadata';
import { runApiService } from '@wharf/api-http';
import { AuthModule } from '@wharf/auth-http';
import { GcModule } from '@wharf/gc-http';
import { ImportModule } from '@wharf/import-http';
import { mountOpenApi, OrgModule } from '@wharf/org-http';
import { QueuesModule } from '@wharf/queues';
import { guardProcess } from '@wharf/util';

/**
 * The `org` service (a Kubernetes Deployment): the management API under `/api/v1` (organizations,
 * repositories, tags, shares, accounts, audit) and its OpenAPI document at `/api/docs`. Sign-in
 * (`/api/v1/auth`, `/api/v1/access-keys`) is the auth service's. Deletes reach every registry
 * replica's cache over Redis.
 */
guardProcess('org');
void runApiService({
  name: 'org',
  needs: { redis: 'login limits, cache invalidation and the gc and imports queues', secretKey: 'it opens the signing keys that verify API tokens' },
  // The guard, identity store, key ring and audit log (the auth service serves the endpoints);
  // the queues' producers (a requested garbage-collection run is a `gc` job, an upload an `imports` job).
  modules: (config, logger) => [
    AuthModule.forRoot({ config, endpoints: false }),
    QueuesModule.forRoot({ redisUrl: config.redisUrl, redisTimeoutMs: config.redisTimeoutMs, logger, relayOutbox: false }),
    OrgModule.forRoot(config),
    GcModule.forRoot(config),
    ImportModule.forRoot(config),
  ],
  beforeListen: mountOpenApi,
});
