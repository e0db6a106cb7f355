import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Application, Logger, LogLevel, TSConfigReader, TypeDocReader } from 'typedoc'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const config = join(root, 'typedoc.json')

/** Keeps every warning and error typedoc reports, with the place it names. */
class CollectingLogger extends Logger {
  readonly messages: string[] = []
  override log (message: string, level: LogLevel): void {
    super.log(message, level)
    if (level >= LogLevel.Warn) this.messages.push(`${LogLevel[level]}: ${message}`)
  }
}

// `npm run docs` builds the API reference from typedoc.json; this is the same build, into a temporary
// directory, so an undocumented export, a type the reference cannot link to or a broken {@link} fails `npm test`.
describe('API reference (typedoc)', () => {
  it('builds from the TSDoc of every package entry point with no warning', async () => {
    const out = await mkdtemp(join(tmpdir(), 'libp2p-consensus-api-'))
    try {
      // type errors are `npm run typecheck`'s to report (it runs first in `npm test`)
      const app = await Application.bootstrapWithPlugins({ options: config, out, skipErrorChecking: true }, [new TypeDocReader(), new TSConfigReader()])
      const bootstrap = app.logger
      expect(bootstrap.warningCount + bootstrap.errorCount, 'typedoc.json is read without complaint').toBe(0)
      // every subpath the package exports is documented, and nothing else
      const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, { types: string }> }
      const exported = Object.values(manifest.exports).map(e => e.types.replace(/^\.\/dist\/(.*)\.d\.ts$/, '$1.ts')).sort()
      const entryPoints = (app.options.getValue('entryPoints')).map(e => relative(root, e).split(sep).join('/')).sort()
      expect(entryPoints).toEqual(exported)
      // the check is only as strict as the config: keep the settings that make it one
      expect(app.options.getValue('treatWarningsAsErrors')).toBe(true)
      expect(app.options.getValue('validation')).toMatchObject({ notExported: true, invalidLink: true, notDocumented: true })
      const logger = new CollectingLogger()
      logger.level = LogLevel.Warn
      app.logger = logger
      const project = await app.convert()
      expect(project, logger.messages.join('\n')).toBeDefined()
      if (project === undefined) return
      app.validate(project)
      expect(logger.messages.join('\n')).toBe('')
      await app.generateDocs(project, out)
      expect(logger.messages.join('\n')).toBe('')
      // one page per entry point, named as users import it
      const index = await readFile(join(out, 'index.html'), 'utf8')
      for (const entry of ['libp2p-consensus', 'libp2p-consensus/libp2p', 'libp2p-consensus/agent', 'libp2p-consensus/hub', 'libp2p-consensus/testing']) {
        expect(index).toContain(`>${entry}<`)
      }
      const manager = await readFile(join(out, 'classes', 'libp2p-consensus.ConsensusManager.html'), 'utf8')
      expect(manager).toContain('requestConsensus')
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  })
})
