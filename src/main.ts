import { parseArgs } from 'node:util';
import { buildContainer } from './app/container.ts';
import { adminCommand, adminHelp } from './cli/admin.ts';
import { startWorkerServer } from './workers/worker-server.ts';
import { startServer } from './app/server.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { openSqlStore } from './db/database.ts';
import { SchemaTooNewError, migrateToLatest } from './db/migrate.ts';
import { join } from 'node:path';

const HELP: Record<string, string> = {
  main: `Usage: basalt <command> [options]

Commands:
  serve     Serve the API, docs and console (default)
  migrate   Apply pending database migrations and exit
  worker    Run the worker process (sends e-mail for an API whose WORKER_URL points here)
  admin     Manage accounts (create-user, promote, demote) and rebuild the search index (reindex-search)

Run "basalt <command> --help" for a command's options. Configuration comes from environment
variables (and a .env file in the working directory); see the README.`,
  serve: `Usage: basalt serve [--port <n>] [--host <addr>]

Serves Basalt. Applies pending migrations first. Stops gracefully on SIGTERM / SIGINT.
  --port <n>     Port to listen on (default: $PORT or 3000)
  --host <addr>  Address to bind (default: $HOST or 0.0.0.0)`,
  worker: `Usage: basalt worker [--port <n>] [--host <addr>]

Runs the worker: renders and sends e-mail (over $SMTP_URL, or into the outbox) for the
API processes whose $WORKER_URL points here. Applies pending migrations first. Callers must
send "Authorization: Bearer $WORKER_TOKEN"; without WORKER_TOKEN it refuses to start in
production and listens on 127.0.0.1 only. Stops gracefully on SIGTERM / SIGINT.
  --port <n>     Port to listen on (default: $WORKER_PORT or 3001)
  --host <addr>  Address to bind (default: $HOST or 0.0.0.0)`,
  migrate: `Usage: basalt migrate

Applies pending migrations to the SQL store ($DATABASE_URL, or SQLite under $DATA_DIR) and
prints one line per migration. Safe to run more than once; refuses a newer schema.`,
};

async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const config = loadConfig();
  const container = await buildContainer(config);
  const server = await startServer(container, {
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
  });
  // `modules`: compiled (bin/build-server.js) or sources (through tsx), for whoever reads the log.
  container.logger.info({ url: server.url, sql: container.sql.capabilities.dialect, kv: container.kv.backend, modules: import.meta.url.endsWith('.js') ? 'compiled' : 'sources' }, `Basalt listening on ${server.url}`);
  process.stdout.write(`\n  Basalt is running at ${server.url}\n  API docs:  ${server.url}/docs   OpenAPI: ${server.url}/openapi.json\n\n`);
  const shutdown = (signal: string) => {
    container.logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function workerCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const config = loadConfig();
  if (config.NODE_ENV === 'production' && config.WORKER_TOKEN === undefined) {
    throw new ConfigError(['WORKER_TOKEN: required to run the worker in production (the API sends it as a bearer token)']);
  }
  const container = await buildContainer(config, { worker: true });
  const worker = await startWorkerServer(container, {
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
  });
  if (config.WORKER_TOKEN === undefined) container.logger.warn('WORKER_TOKEN is not set: the worker accepts any caller on 127.0.0.1');
  container.logger.info({ url: worker.url, mail: config.SMTP_URL ? 'smtp' : 'outbox' }, `Basalt worker listening on ${worker.url}`);
  const shutdown = (signal: string) => {
    container.logger.info({ signal }, 'shutting down');
    worker.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const sql = openSqlStore({ url: config.DATABASE_URL, sqlitePath: join(config.DATA_DIR, 'basalt.db') });
  try {
    const result = await migrateToLatest(sql.db, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(
      result.applied.length === 0
        ? `schema up to date (${result.alreadyApplied} migrations applied)\n`
        : `applied ${result.applied.length} migration(s)\n`,
    );
  } finally {
    await sql.close();
  }
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { serve: serveCommand, migrate: migrateCommand, worker: workerCommand, admin: adminCommand };

export async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${HELP.main}\n`);
    return;
  }
  const name = first === undefined || first.startsWith('-') ? 'serve' : first;
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`basalt: unknown command "${name}"\n\n${HELP.main}\n`);
    process.exitCode = 2;
    return;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${name === 'admin' ? adminHelp(args) : HELP[name]}\n`);
    return;
  }
  await command(args);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof SchemaTooNewError) {
    process.stderr.write(`basalt: ${err.message}\n`);
  } else if (err instanceof Error && (err as { code?: string }).code === 'EADDRINUSE') {
    process.stderr.write(`basalt: ${err.message} (set PORT to another port)\n`);
  } else {
    process.stderr.write(`basalt: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
