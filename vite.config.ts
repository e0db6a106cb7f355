import { fileURLToPath } from 'node:url'
import { playwright } from '@vitest/browser-playwright'
import { configDefaults, defineConfig } from 'vitest/config'
import { chromiumLaunchOptions } from './test/browser/chromium.js'
import { browserCommands } from './test/browser/commands.js'

// Unit, property, simulation and README tests run in Node; test/browser runs agents in headless Chromium tabs.
export default defineConfig({
  resolve: {
    // README examples import the package by name; tests resolve it to the sources
    alias: {
      'libp2p-consensus/libp2p': fileURLToPath(new URL('./src/libp2p/index.ts', import.meta.url)),
      'libp2p-consensus/agent': fileURLToPath(new URL('./src/agent/index.ts', import.meta.url)),
      'libp2p-consensus/testing': fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)),
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
          exclude: [...configDefaults.exclude, 'test/browser/**'],
          environment: 'node',
          testTimeout: 60_000
        }
      },
      {
        extends: true,
        test: {
          // tabs in headless Chromium (test/browser/chromium.ts says which), against one Node hub and a few Node agents (globalSetup)
          name: 'browser',
          include: ['test/browser/**/*.browser.test.ts'],
          globalSetup: ['test/browser/hub.global-setup.ts'],
          // the files share the hub's topic; one at a time keeps each test's default electorate its own
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: chromiumLaunchOptions()
            }),
            instances: [{ browser: 'chromium' }],
            commands: browserCommands
          }
        }
      }
    ]
  }
})
