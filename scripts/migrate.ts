import { loadConfig } from '@wharf/config';
import { migrate } from '@wharf/database';

/** `DATABASE_URL=… node dist/scripts/migrate.js` (after scripts/build.mjs): applies pending migrations (the chart's hook Job runs this). */
async function main(): Promise<void> {
  const { databaseUrl } = loadConfig();
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const applied = await migrate(databaseUrl);
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
