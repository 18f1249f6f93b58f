import 'reflect-metadata';
import { runApiService } from '@wharf/api-http';
import { AuthModule } from '@wharf/auth-http';
import { mountOpenApi, OrgModule } from '@wharf/org-http';
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
  needs: { redis: 'login limits and cache invalidation', secretKey: 'it opens the signing keys that verify API tokens' },
  // The guard, identity store, key ring and audit log; the auth service serves the endpoints.
  modules: (config) => [AuthModule.forRoot({ config, endpoints: false }), OrgModule.forRoot(config)],
  beforeListen: mountOpenApi,
});
