import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/errors/codes.ts';
import { ERROR_CODES_DIR } from '../test/helpers/error-recorder.ts';

/**
 * Which registry codes no test response carried. Prints the report; with --strict, fails
 * when any code is uncovered.
 */
const strict = process.argv.includes('--strict');
const seen = new Set<string>();
if (existsSync(ERROR_CODES_DIR)) {
  for (const f of readdirSync(ERROR_CODES_DIR)) {
    for (const line of readFileSync(`${ERROR_CODES_DIR}${f}`, 'utf8').split('\n')) if (line) seen.add(line);
  }
}
const all = Object.keys(ERROR_CODES);
const uncovered = all.filter((c) => !seen.has(c));
const unknown = [...seen].filter((c) => !Object.hasOwn(ERROR_CODES, c));
console.log(`\nError-code coverage: ${all.length - uncovered.length}/${all.length} registry codes produced by a test.`);
if (uncovered.length > 0) {
  const byDomain = new Map<string, string[]>();
  for (const c of uncovered) {
    const d = c.includes(':') ? c.slice(0, c.indexOf(':')) : 'general';
    byDomain.set(d, [...(byDomain.get(d) ?? []), c]);
  }
  console.log('Not yet produced by any test:');
  for (const [d, codes] of byDomain) console.log(`  ${d}: ${codes.join(', ')}`);
}
if (unknown.length > 0) console.log(`Codes seen that the registry lacks: ${unknown.join(', ')}`);
if (unknown.length > 0 || (strict && uncovered.length > 0)) process.exitCode = 1;
