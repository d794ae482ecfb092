import { tempDir } from '../../../test/helpers/backends.ts';
import { filesUnder, runBlobStoreContract } from '../../ports/blob-store.contract.ts';
import { LocalBlobStore } from './local-blob-store.ts';

runBlobStoreContract('local folder', async () => {
  const dir = tempDir('basalt-blobs-');
  return { store: new LocalBlobStore(dir.path), leftovers: () => filesUnder(dir.path), cleanup: async () => dir.remove() };
});
