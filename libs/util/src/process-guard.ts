/**
 * A fault in one request must never stop a service: an error that escaped every handler (an
 * unhandled rejection or an uncaught exception) is logged as one JSON line and the process keeps
 * serving. Every app's main installs this first. Contract: returns a function that removes the
 * handlers again (for tests); `write` receives the whole line, newline included.
 */
export function guardProcess(service: string, write: (line: string) => void = (l) => process.stderr.write(l)): () => void {
  const report = (kind: string) => (err: unknown) => {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', service, msg: `${kind} (the process keeps serving)`, error })}\n`);
  };
  const onRejection = report('unhandled rejection');
  const onException = report('uncaught exception');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
