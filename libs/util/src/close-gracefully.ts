import type { Server } from 'node:http';

/**
 * Stops a server the way a rolling update needs: no new connections, idle keep-alive connections
 * closed now, requests in flight given `graceMs` to finish, then whatever is left is cut.
 */
export async function closeGracefully(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  server.closeAllConnections();
}
