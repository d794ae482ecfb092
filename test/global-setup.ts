import { mkdirSync, rmSync } from 'node:fs';
import { ERROR_CODES_DIR } from './helpers/error-recorder.ts';

/** Each run starts with an empty record of the error codes responses carried. */
export default function setup(): void {
  rmSync(ERROR_CODES_DIR, { recursive: true, force: true });
  mkdirSync(ERROR_CODES_DIR, { recursive: true });
}
