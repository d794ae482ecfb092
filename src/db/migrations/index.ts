import type { Migration } from 'kysely';
import * as m0001 from './0001-core.ts';
import * as m0002 from './0002-accounts.ts';
import * as m0003 from './0003-mail-outbox.ts';
import * as m0004 from './0004-teams.ts';
import * as m0005 from './0005-sign-in-methods.ts';
import * as m0006 from './0006-content.ts';
import * as m0007 from './0007-logs.ts';
import * as m0008 from './0008-log-index.ts';

/** Every migration, in order. Names are permanent: a renamed one looks new to old databases. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-core': m0001,
  '0002-accounts': m0002,
  '0003-mail-outbox': m0003,
  '0004-teams': m0004,
  '0005-sign-in-methods': m0005,
  '0006-content': m0006,
  '0007-logs': m0007,
  '0008-log-index': m0008,
};
