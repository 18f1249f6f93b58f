/**
 * Counts manifest GETs (SPEC §4: one download for the repository and, when pulled by tag, the
 * tag; HEAD does not count). Implementations must not slow the pull: `record` never waits on I/O.
 */
export const DOWNLOAD_COUNTER = Symbol('DOWNLOAD_COUNTER');

export interface DownloadCounter {
  record(repository: string, tag: string | null): void;
}

export const noDownloadCounter: DownloadCounter = { record: () => undefined };
