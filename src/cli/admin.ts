import { parseArgs, type ParseArgsConfig } from 'node:util';
import pino from 'pino';
import { z } from '@hono/zod-openapi';
import { buildContainer, type Container } from '../app/container.ts';
import { buildServices } from '../app/services.ts';
import { loadConfig, type Config } from '../config/index.ts';
import type { UserRole } from '../db/schema.ts';
import { isAppError } from '../errors/index.ts';
import { EmailSchema, HandleSchema, PasswordSchema } from '../modules/accounts/schemas.ts';
import type { Mailer } from '../modules/mail/mailer.ts';
import { UsersRepo } from '../modules/accounts/repo.ts';
import { PostsRepo } from '../modules/posts/repo.ts';
import { reindexSearch } from '../workers/search-reindex.ts';

/** A mistake the operator can fix: main prints its message alone (no stack) and exits 1. */
export class CliError extends Error {
  override name = 'CliError';
}

const SUBCOMMAND_HELP = {
  'create-user': `Usage: basalt admin create-user --email <e> --handle <h> [--password <p>] [--admin] [--verified]

Creates an account with the same checks as POST /v1/auth/register (e-mail format and
uniqueness, handle 3–30 of a–z 0–9 _, password 8–128 characters and not a common one).
  --email <e>      E-mail address (stored lower-case)
  --handle <h>     Handle (stored lower-case)
  --password <p>   Password. Without it, the password is read from stdin when stdin is not
                   a terminal (one trailing newline is dropped), which keeps it out of the
                   shell history and the process list:  printf %s "$PW" | basalt admin create-user …
  --admin          Give the account the admin role
  --verified       Mark the e-mail address verified (no verification e-mail is sent)`,
  promote: `Usage: basalt admin promote <handle>

Gives an existing account the admin role. Takes effect on its next request.`,
  demote: `Usage: basalt admin demote <handle>

Takes the admin role away from an account (it becomes a user). Takes effect on its next
request: admin routes then answer 403 user:permission_insufficient.`,
  'reindex-search': `Usage: basalt admin reindex-search

Writes every post and user into the search index again from the database (SQLite FTS5, or
PostgreSQL full-text with $DATABASE_URL). The index normally follows changes by itself; run
this after switching the search backend, losing the index, or an indexer outage longer than
EVENTS_RETENTION_SECONDS. Safe while the server runs; prints the counts.`,
} as const;

type Subcommand = keyof typeof SUBCOMMAND_HELP;

const ADMIN_HELP = `Usage: basalt admin <subcommand> [options]

Administers accounts directly in the configured stores ($DATABASE_URL, or SQLite under
$DATA_DIR), applying pending migrations first. Works while the server runs.

Subcommands:
  create-user   Create an account, optionally an admin and with a verified e-mail
  promote       Give an account the admin role
  demote        Take the admin role away
  reindex-search  Rebuild the search index from the database

Run "basalt admin <subcommand> --help" for its options.`;

function isSubcommand(name: string | undefined): name is Subcommand {
  return name !== undefined && Object.hasOwn(SUBCOMMAND_HELP, name);
}

/** The help for `basalt admin …`: a subcommand's own when one is named. */
export function adminHelp(args: readonly string[]): string {
  const [sub] = args;
  return isSubcommand(sub) ? SUBCOMMAND_HELP[sub] : ADMIN_HELP;
}

// The CLI's stdout is for its result; logs (migrations, mail warnings) go to stderr, and only
// warnings unless the operator asked for more.
function cliLogger(config: Config): pino.Logger {
  const verbose = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace';
  const level = config.LOG_LEVEL === 'silent' ? 'silent' : verbose ? config.LOG_LEVEL : 'warn';
  return pino({ level, base: { service: 'basalt-cli' } }, pino.destination({ dest: 2, sync: true }));
}

async function withContainer<T>(run: (container: Container) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const container = await buildContainer(config, { logger: cliLogger(config) });
  try {
    return await run(container);
  } finally {
    await container.close();
  }
}

/** An operator vouching for the address has no use for a link proving it. */
function withoutVerificationMail(mailer: Mailer): Mailer {
  return {
    send: (template, to, data) => (template === 'verification' ? Promise.resolve() : mailer.send(template, to, data)),
  };
}

function describeError(err: unknown): never {
  if (isAppError(err)) {
    const details = err.details?.map((d) => `--${d.field}: ${d.issue}`).join('; ');
    throw new CliError(details ? `${err.message} (${details})` : err.message);
  }
  throw err;
}

async function readPassword(given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (process.stdin.isTTY) {
    throw new CliError('a password is required: pass --password <p>, or pipe it on stdin (printf %s "$PW" | basalt admin create-user …)');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new CliError('no password on stdin: pass --password <p>, or pipe the password in');
  return password;
}

const CreateUserInput = z.object({ email: EmailSchema, handle: HandleSchema, password: PasswordSchema });

function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new CliError(`${err instanceof Error ? err.message : String(err)} (see "basalt admin --help")`);
  }
}

async function createUser(args: string[]): Promise<void> {
  const { values } = parse({
    args,
    strict: true,
    options: {
      email: { type: 'string' },
      handle: { type: 'string' },
      password: { type: 'string' },
      admin: { type: 'boolean', default: false },
      verified: { type: 'boolean', default: false },
    },
  });
  const { email, handle } = values;
  if (email === undefined || handle === undefined) throw new CliError('--email and --handle are required (see "basalt admin create-user --help")');
  const password = await readPassword(values.password);
  const parsed = CreateUserInput.safeParse({ email, handle, password });
  if (!parsed.success) {
    throw new CliError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const { admin, verified } = values;
  const outcome = await withContainer(async (container) => {
    const services = buildServices(verified ? { ...container, mailer: withoutVerificationMail(container.mailer) } : container);
    const { user, verificationEmailSent } = await services.accounts.register(parsed.data).catch(describeError);
    if (admin || verified) {
      const now = Date.now();
      await services.users.update(user.id, { ...(admin ? { role: 'admin' as const } : {}), ...(verified ? { email_verified_at: now } : {}), updated_at: now });
    }
    return { user, verificationEmailSent };
  });
  const { user } = outcome;
  const traits = [admin ? 'role admin' : 'role user', verified ? 'e-mail verified' : 'e-mail not verified'];
  process.stdout.write(`created ${user.handle} <${user.email}> (${user.id}): ${traits.join(', ')}\n`);
  if (!verified) {
    process.stdout.write(
      outcome.verificationEmailSent
        ? `verification e-mail sent to ${user.email}\n`
        : `the verification e-mail could not be sent (see the log); it can be resent with POST /v1/auth/verify-email/resend\n`,
    );
  }
}

async function setRole(args: string[], role: UserRole): Promise<void> {
  const verb = role === 'admin' ? 'promote' : 'demote';
  const { positionals } = parse({ args, strict: true, allowPositionals: true, options: {} });
  const [raw, ...extra] = positionals;
  if (raw === undefined || extra.length > 0) throw new CliError(`expected exactly one handle (see "basalt admin ${verb} --help")`);
  const handle = raw.trim().toLowerCase();
  const changed = await withContainer(async (container) => {
    const { users } = buildServices(container);
    const user = await users.findByHandle(handle);
    if (!user) throw new CliError(`no account with handle "${handle}"`);
    if (user.role === role) return false;
    await users.update(user.id, { role, updated_at: Date.now() });
    return true;
  });
  const label = role === 'admin' ? 'an admin' : 'a user';
  process.stdout.write(changed ? `${handle} is now ${label}\n` : `${handle} is already ${label}; nothing changed\n`);
}

async function reindex(args: string[]): Promise<void> {
  parse({ args, strict: true, options: {} });
  const result = await withContainer((container) =>
    reindexSearch({ index: container.search, posts: new PostsRepo(container.sql.db), users: new UsersRepo(container.sql.db) }),
  );
  process.stdout.write(`search index rebuilt: ${result.posts} posts, ${result.users} users\n`);
}

/** `basalt admin <subcommand> …` */
export async function adminCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (!isSubcommand(sub)) {
    throw new CliError(sub === undefined ? `a subcommand is required\n\n${ADMIN_HELP}` : `unknown admin subcommand "${sub}"\n\n${ADMIN_HELP}`);
  }
  if (sub === 'create-user') return createUser(rest);
  if (sub === 'reindex-search') return reindex(rest);
  return setRole(rest, sub === 'promote' ? 'admin' : 'user');
}
