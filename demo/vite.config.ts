import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const src = (path: string): string => fileURLToPath(new URL(`../src/${path}`, import.meta.url))

/**
 * The demo page: `npm start` serves it in dev mode (demo/start.ts), `npm run demo:build` writes
 * demo/dist. The package names resolve to the sources, as in the root config.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // relative asset paths: the built page works from any folder of any static server
  base: './',
  resolve: {
    alias: {
      'libp2p-consensus/libp2p': src('libp2p/index.ts'),
      'libp2p-consensus/agent': src('agent/index.ts'),
      'libp2p-consensus': src('index.ts')
    }
  },
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  logLevel: 'warn'
})
