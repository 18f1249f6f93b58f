import { Controller, Inject, INestApplication } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { RegistryWriter } from '@wharf/org-core';
import { BroadcastClient, BROADCASTS, BroadcastPayloads, BroadcastServer } from '@wharf/queues';
import { CachingRegistryStore, ManifestService, REGISTRY_STORE, RegistryStore } from '@wharf/registry-core';

/**
 * The management API's way into the registry's tables: deletes go through registry-core's
 * ManifestService (the tables' one writer; it writes the registry events), then every replica is
 * told to forget the name. This process's cache forgets at once (single-machine mode answers the
 * next pull from Postgres); the others hear a broadcast and forget in their
 * `RegistryBroadcastsController`. A broadcast that fails never fails the delete: a replica that
 * misses it (Redis away) drops the entry when its TTL ends (1 s for tags, 10 s for content).
 */
export class BroadcastingRegistryWriter implements RegistryWriter {
  constructor(
    private readonly manifests: ManifestService,
    private readonly client: BroadcastClient | null,
    private readonly local: CachingRegistryStore | null,
  ) {}

  async deleteRepository(name: string): Promise<boolean> {
    const deleted = await this.manifests.deleteRepository(name);
    await this.tell(name);
    return deleted;
  }

  async deleteTags(name: string, tags: string[]): Promise<string[]> {
    const deleted = await this.manifests.deleteTags(name, tags);
    await this.tell(name);
    return deleted;
  }

  organizationRemoved(name: string): Promise<void> {
    return this.tell(name);
  }

  async forgetRepositories(names: string[]): Promise<void> {
    for (const name of names) await this.tell(name);
  }

  async close(): Promise<void> {
    await this.client?.close();
  }

  private async tell(name: string): Promise<void> {
    this.local?.forget(name);
    await this.client?.broadcast(BROADCASTS.registryRemoved, { name }).catch(() => undefined);
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
