import 'reflect-metadata';
import { runApiService } from '@wharf/api-http';
import { AuthModule } from '@wharf/auth-http';
import { guardProcess } from '@wharf/util';

/** The `auth` service (a Kubernetes Deployment): `/token`, `/token/jwks.json`, `/api/v1/auth`, `/api/v1/access-keys`. */
guardProcess('auth');
void runApiService({
  name: 'auth',
  needs: { redis: 'login limits', secretKey: 'it seals the signing keys' },
  modules: (config, logger) => [
    AuthModule.forRoot({
      config,
      onAdminPassword: (user, password) => logger.info(`created system administrator "${user}" with generated password ${password} (shown once)`),
    }),
  ],
});
