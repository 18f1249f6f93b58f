import { Controller, Inject, INestApplication } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { RegistryNotifier } from '@wharf/org-core';
import { BroadcastClient, BROADCASTS, BroadcastPayloads, BroadcastServer } from '@wharf/queues';
import { CachingRegistryStore, REGISTRY_STORE, RegistryStore } from '@wharf/registry-core';

/**
 * Cache invalidation between the management API and every registry replica: `removed(name)`
 * forgets the name in this process's registry cache at once (single-machine mode answers the next
 * pull from Postgres) and broadcasts it; every replica's `RegistryBroadcastsController` forgets it
 * too. Never fails the delete that called it: a replica that misses the message (Redis away) drops
 * the entry when its TTL ends (1 s for tags, 10 s for content).
 */
export class BroadcastRegistryNotifier implements RegistryNotifier {
  constructor(
    private readonly client: BroadcastClient,
    private readonly local: CachingRegistryStore | null,
  ) {}

  async removed(name: string): Promise<void> {
    this.local?.forget(name);
    await this.client.broadcast(BROADCASTS.registryRemoved, { name }).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** What a registry replica does with the broadcasts it hears (event patterns of the Redis transport). */
@Controller()
export class RegistryBroadcastsController {
  constructor(@Inject(REGISTRY_STORE) private readonly store: RegistryStore) {}

  @EventPattern(BROADCASTS.registryRemoved)
  removed(@Payload() payload: BroadcastPayloads[typeof BROADCASTS.registryRemoved]): void {
    if (this.store instanceof CachingRegistryStore && typeof payload?.name === 'string') this.store.forget(payload.name);
  }
}

/** Makes `app` listen to the broadcasts (a hybrid app: HTTP plus the Redis transport); call before it starts. */
export function connectBroadcasts(app: INestApplication, redisUrl: string, timeoutMs: number): void {
  app.connectMicroservice({ strategy: new BroadcastServer(redisUrl, timeoutMs) }, { inheritAppConfig: false });
}
