import type { UserRecord } from '@wharf/auth-core';

/** Ports of tag retention (SPEC §9): policies and run history, and the one repository permission check. */
export const RETENTION_STORE = Symbol('RETENTION_STORE');
export const REPOSITORY_GATE = Symbol('REPOSITORY_GATE');

export interface RetentionRules {
  /** Keep the newest N tags by push time (1–1,000). */
  keepLast: number | null;
  /** Keep tags pushed within D days (1–365). */
  keepDays: number | null;
  /** Tags whose whole name matches one of these regular expressions are never removed. */
  exceptions: string[];
  /** Run every day on the retention schedule. */
  daily: boolean;
}

export interface RetentionPolicy extends RetentionRules {
  repository: string;
  updatedBy: string | null;
  updatedAt: Date;
}

export interface RetentionRun {
  id: string;
  repository: string;
  trigger: 'api' | 'schedule';
  requestedBy: string | null;
  dryRun: boolean;
  /** Tags removed (a dry run: that would be removed), sorted. */
  removed: string[];
  kept: number;
  createdAt: Date;
}

export interface RetentionStore {
  findPolicy(repository: string): Promise<RetentionPolicy | null>;
  /** Creates or replaces the repository's policy; null when the repository does not exist. */
  savePolicy(repository: string, rules: RetentionRules, updatedBy: string): Promise<RetentionPolicy | null>;
  /** Repositories whose policy runs daily. */
  dailyRepositories(): Promise<string[]>;
  /** The repository's tags with the time each was last pushed. */
  tags(repository: string): Promise<{ name: string; pushedAt: Date }[]>;
  recordRun(run: Omit<RetentionRun, 'createdAt'>): Promise<RetentionRun>;
  /** Newest first. */
  listRuns(repository: string, offset: number, limit: number): Promise<{ items: RetentionRun[]; total: number }>;
}

/** Throws (NotFound, Forbidden) unless `user` may manage the repository: the management API's one permission function. */
export interface RepositoryGate {
  requireManage(user: UserRecord, repository: string): Promise<void>;
}
