#!/usr/bin/env node
/**
 * `ringcast` / `npm start`: parse flags, start the broker, print one line per listener, and shut
 * down cleanly on SIGINT/SIGTERM (listeners closed, workers stopped, exit 0).
 */
import { Broker } from './broker.js';
import { ConfigError, helpText, parseArgs, VERSION } from './config.js';
import { AofCorruptError } from './store/aof.js';

async function main(): Promise<void> {
  // `ringcast bench ...` is the load generator (src/cli-bench.ts), not a broker.
  if (process.argv[2] === 'bench') {
    const { runBenchCli } = await import('./cli-bench.js');
    process.exitCode = await runBenchCli(process.argv.slice(3));
    return;
  }
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`ringcast: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (parsed === 'help') {
    console.log(helpText());
    return;
  }
  const config = parsed;
  const broker = new Broker(config);
  broker.router.onFatal = broker.onFatal = (err) => {
    console.error(`ringcast: FATAL ${err.message}`);
    process.exit(70);
  };
  let addr;
  try {
    addr = await broker.start();
  } catch (err) {
    if (err instanceof AofCorruptError) {
      // Redis refuses to start on a damaged log too; the message names the offset and the way out.
      console.error(`ringcast: ${err.message}`);
      await broker.stop();
      process.exit(1);
    }
    const e = err as NodeJS.ErrnoException & { listener?: string; port?: number };
    const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
    console.error(`ringcast: cannot listen on ${config.bind}:${e.port ?? config.port}${e.listener ? ` (${e.listener})` : ''}: ${why}`);
    await broker.stop();
    process.exit(1);
  }
  console.log(config.workers === 0
    ? `ringcast ${VERSION}: partition on the main thread (--workers 0)`
    : `ringcast ${VERSION}: ${config.workers} partition worker${config.workers === 1 ? '' : 's'}`);
  const log = broker.persistence.log;
  console.log(log === null
    ? 'ringcast: append-only log off (--appendonly no): the keyspace starts empty and is not kept'
    : `ringcast: append-only log ${log.path} (appendfsync ${config.appendFsync}): loaded ${addr.loaded.commands} commands, ${addr.loaded.bytes} bytes in ${addr.loaded.ms.toFixed(0)} ms`);
  console.log(`ringcast: RESP listening on ${addr.host}:${addr.port}`);
  console.log(`ringcast: HTTP/WebSocket listening on ${addr.host}:${addr.httpPort} (chat at http://${addr.host}:${addr.httpPort}/, WebSocket at /ws)`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`ringcast: ${signal} ${signal === 'SHUTDOWN' ? 'requested by a client' : 'received'}, shutting down`);
    broker.stop().then(
      () => {
        console.log('ringcast: stopped');
        process.exit(0);
      },
      (err) => {
        console.error(`ringcast: error while stopping: ${err}`);
        process.exit(1);
      },
    );
  };
  broker.requestShutdown = () => shutdown('SHUTDOWN');
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error('ringcast: FATAL', err);
  process.exit(70);
});
