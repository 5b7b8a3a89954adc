/** Process signals for the long-running commands (node, operator, serve): one stop path each. */
import type { pino } from 'pino';

/** Resolves on the first SIGINT or SIGTERM; a second one then ends the process at once (the signal's default). */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolveSignal(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * Runs `stop` after the first signal (`signalled`, when the caller listened for it early), bounded: past `boundMs` the process exits 1 with the reason
 * logged, so a stop that hangs (an API server that does not answer the Lease release) cannot keep
 * a terminating pod until its SIGKILL.
 */
export async function stopOnSignal(logger: pino.Logger, boundMs: number, stop: () => Promise<void>, signalled: Promise<NodeJS.Signals> = waitForSignal()): Promise<void> {
  const signal = await signalled;
  logger.info({ signal }, 'Shutting down');
  const overrun = setTimeout(() => {
    logger.error({ boundMs }, 'Shutdown did not finish in time: exiting');
    process.exit(1);
  }, boundMs);
  overrun.unref();
  await stop();
  clearTimeout(overrun);
  logger.info('Stopped');
}
