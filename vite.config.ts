import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Unit, property, simulation and README tests run in Node; browser projects join when the browser issue lands.
export default defineConfig({
  resolve: {
    // README examples import the package by name; tests resolve it to the sources
    alias: {
      'libp2p-consensus/libp2p': fileURLToPath(new URL('./src/libp2p/index.ts', import.meta.url)),
      'libp2p-consensus/agent': fileURLToPath(new URL('./src/agent/index.ts', import.meta.url)),
      'libp2p-consensus/hub': fileURLToPath(new URL('./src/hub/index.ts', import.meta.url)),
      'libp2p-consensus': fileURLToPath(new URL('./src/index.ts', import.meta.url))
    }
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000
        }
      }
    ]
  }
})
