/**
 * The architecture as rules, checked by `npm test` (`npm run deps`). Inside src/ every import must match
 * an `allowed` rule: each folder lists the folders below it, so the folder graph is a DAG and no change
 * can bring back a cycle. Leaves first:
 *   types.ts, errors.ts, clock.ts, limiter.ts  →  algorithms/, wire/  →  transport/  →  core/
 *   →  testing/, libp2p/  →  agent/  →  hub/  →  cli/
 */
const leaf = '^src/(types|errors|clock|limiter)\\.ts$'
const npm = { dependencyTypesNot: ['local'] }
const folder = (name, below) => ({
  from: { path: `^src/${name}/` },
  to: { path: [`^src/${name}/`, leaf, ...below.map(b => `^src/${b}/`)] }
})

module.exports = {
  allowed: [
    { from: { path: '^src/' }, to: npm },
    { from: { path: leaf }, to: { path: leaf } },
    folder('algorithms', []),
    folder('wire', []),
    folder('transport', ['wire']),
    folder('core', ['algorithms', 'wire', 'transport']),
    folder('testing', ['algorithms', 'wire', 'transport', 'core']),
    folder('libp2p', ['algorithms', 'wire', 'transport', 'core']),
    folder('agent', ['algorithms', 'wire', 'transport', 'core', 'libp2p']),
    folder('hub', ['algorithms', 'wire', 'transport', 'core', 'libp2p', 'agent']),
    folder('cli', ['algorithms', 'wire', 'transport', 'core', 'libp2p', 'agent', 'hub']),
    { from: { path: '^src/index\\.ts$' }, to: { path: ['^src/(algorithms|wire|transport|core)/', leaf] } },
    // outside src anything goes, except what `forbidden` says
    { from: { pathNot: '^src/' }, to: {} }
  ],
  allowedSeverity: 'error',
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a module cycle, even inside one folder', from: {}, to: { circular: true } },
    {
      name: 'src-is-self-contained',
      severity: 'error',
      comment: 'the published package holds only src/',
      from: { path: '^src/' },
      to: { path: '^(test|bench|demo|scripts)/' }
    },
    {
      name: 'no-dev-dependencies-in-src',
      severity: 'error',
      comment: 'a user installs only dependencies',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'tests-do-not-use-the-demo',
      severity: 'error',
      comment: 'the demo sits on top of the library; tests and bench must not depend on it',
      from: { path: '^(test|bench|scripts)/' },
      to: { path: '^demo/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|\\.readme)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types', 'default'], extensions: ['.ts', '.js'] }
  }
}
