import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console's build. `npm run build:web` (also run by `npm install`) writes web/dist, which the
// server serves at / (src/modules/console). `npm run dev:web` serves it with hot reload and
// sends API paths to a Basalt on :3000 (`npm run dev`).
const api = process.env.BASALT_URL ?? 'http://localhost:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: Object.fromEntries(['/v1', '/dev', '/docs', '/openapi.json', '/errors', '/health'].map((p) => [p, { target: api, changeOrigin: false }])),
  },
});
