// Lint rules: neostandard (the `standard` style js-libp2p's aegir config also follows), with TypeScript.
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'demo/dist/**', 'test/.readme/**', 'test-results/**', 'coverage/**'] }),
  {
    rules: {
      'max-len': ['error', { code: 160, ignoreUrls: true }],
      // `void promise` marks a promise deliberately not awaited (a timer, a background send)
      'no-void': ['error', { allowAsStatement: true }],
      // TypeScript checks redeclarations itself; a const and a type of one name is the enum pattern we use
      '@typescript-eslint/no-redeclare': 'off'
    }
  },
  {
    // the library logs through @libp2p/logger; only the CLI, demo, bench and scripts print
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { 'no-console': 'error' }
  }
]
