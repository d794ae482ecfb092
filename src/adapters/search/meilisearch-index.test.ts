import { describe } from 'vitest';
import { runId } from '../../../test/helpers/backends.ts';
import { runSearchIndexContract } from '../../ports/search-index.contract.ts';
import { MeilisearchIndex } from './meilisearch-index.ts';

// No Meilisearch server can be installed on our machines: this suite runs wherever one is
// configured (MEILISEARCH_URL, optionally MEILISEARCH_API_KEY) and is skipped, saying so, elsewhere.
const url = process.env.MEILISEARCH_URL;
if (!url) console.warn('[skip] MEILISEARCH_URL is not set: the Meilisearch contract suite is skipped (no server can be installed here).');

describe.skipIf(!url)('Meilisearch', () => {
  runSearchIndexContract('meilisearch', async () => {
    const prefix = `${runId('basalt')}_`;
    const index = await MeilisearchIndex.open({ url: url as string, apiKey: process.env.MEILISEARCH_API_KEY, prefix });
    return { index, cleanup: () => index.close() };
  });
});
