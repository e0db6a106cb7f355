import { defineConfig } from 'vitest/config'

// Unit and simulation tests run in Node; browser projects join here when the browser issue lands.
export default defineConfig({
  test: {
    projects: [
      {
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
