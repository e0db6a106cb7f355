/**
 * Section 6 of `npm run bench` (and what `npm run build` prints through scripts/bundle-size.ts): the
 * library's own browser bundle. The entry `src/index.ts` (everything but the libp2p edge) is bundled
 * for the browser with esbuild (already in node_modules: tsx runs on it), minified, ESM, with code
 * splitting as an app's bundler (Vite, Rollup, esbuild) does it: what a dynamic `import()` loads
 * goes to its own chunk, fetched only when that code runs. The figure is the **initial load**: the
 * entry chunk and every chunk it imports statically, each gzipped at level 9 and summed; lazy chunks
 * are reported apart. Measured once with `libp2p` and every `@libp2p/*` package left external (the
 * goal applies to this one: an app that runs consensus over libp2p ships those anyway), and once
 * with everything in. Runs alone too: `npx tsx bench/bundle.ts`.
 */
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { exitSoon, isMain, log } from './util.js'

/** One bundle measured. */
export interface BundleSize {
  label: string
  external: string[]
  /** minified bytes loaded up front (entry chunk + its static imports) */
  bytes: number
  /** the same, gzip -9 per chunk, summed */
  gzipBytes: number
  /** minified bytes per package (our own code by src/ folder), initial load only */
  byPackage: Record<string, number>
  /** chunks only a dynamic `import()` loads: minified and gzip bytes, and what is in them */
  lazy: { bytes: number, gzipBytes: number, byPackage: Record<string, number> }
}

/** What section 6 reports. */
export interface BundleReport {
  entry: string
  withoutLibp2p: BundleSize
  withEverything: BundleSize
  goalGzipBytes: number
  met: boolean
}

const ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url))
/** What "without libp2p" leaves out. */
export const LIBP2P_EXTERNALS = ['libp2p', '@libp2p/*']

interface Metafile {
  outputs: Record<string, {
    entryPoint?: string
    imports: Array<{ path: string, kind: string, external?: boolean }>
    inputs: Record<string, { bytesInOutput: number }>
  }>
}

function packagesOf (metafile: Metafile, outputs: Iterable<string>): Record<string, number> {
  const byPackage: Record<string, number> = {}
  for (const out of outputs) {
    for (const [file, input] of Object.entries(metafile.outputs[out]?.inputs ?? {})) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.replace(/^.*?(src\/[^/]+).*$/, '$1')
      byPackage[pkg] = (byPackage[pkg] ?? 0) + input.bytesInOutput
    }
  }
  return Object.fromEntries(Object.entries(byPackage).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]))
}

/** Bundle `src/index.ts` for the browser, minified and code-split, with `external` left out. */
export async function measureBundle (label: string, external: string[]): Promise<BundleSize> {
  const { build } = await import('esbuild')
  const outdir = '/virtual-bundle-out'
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    splitting: true,
    outdir,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    external,
    metafile: true,
    logLevel: 'error'
  })
  const metafile = result.metafile as Metafile
  // metafile paths are relative to the working directory, output files' absolute
  const files = new Map(result.outputFiles.map(f => [f.path, f.contents]))
  const byOutput = (name: string): Uint8Array => files.get(resolve(name)) ?? new Uint8Array(0)
  const js = Object.keys(metafile.outputs).filter(name => name.endsWith('.js'))
  // the initial load: the entry chunk and, transitively, every chunk it imports statically
  const initial = new Set<string>()
  const visit = (name: string): void => {
    if (initial.has(name)) return
    initial.add(name)
    for (const imp of metafile.outputs[name]?.imports ?? []) if (imp.kind === 'import-statement' && imp.external !== true) visit(imp.path)
  }
  // (a dynamic import's target is an entry point of its own in the metafile: start from ours only)
  for (const name of js) if (metafile.outputs[name]?.entryPoint === relative(process.cwd(), ENTRY)) visit(name)
  const lazy = js.filter(name => !initial.has(name))
  const sizes = (names: Iterable<string>): { bytes: number, gzipBytes: number } => {
    let bytes = 0
    let gzipBytes = 0
    for (const name of names) {
      const contents = byOutput(name)
      bytes += contents.byteLength
      gzipBytes += gzipSync(contents, { level: 9 }).byteLength
    }
    return { bytes, gzipBytes }
  }
  return {
    label,
    external,
    ...sizes(initial),
    byPackage: packagesOf(metafile, initial),
    lazy: { ...sizes(lazy), byPackage: packagesOf(metafile, lazy) }
  }
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`

/** A one-line summary: gzip size and the biggest parts. */
export function describeBundle (size: BundleSize): string {
  const parts = Object.entries(size.byPackage).slice(0, 6).map(([pkg, n]) => `${pkg} ${kb(n)}`).join(', ')
  const lazy = size.lazy.bytes === 0 ? '' : `; loaded on demand: ${kb(size.lazy.gzipBytes)} gzip (${Object.keys(size.lazy.byPackage).slice(0, 4).join(', ')})`
  return `${size.label}: ${kb(size.gzipBytes)} gzip (${kb(size.bytes)} minified; largest: ${parts})${lazy}`
}

/** Section 6. */
export async function runBundle (): Promise<BundleReport> {
  const withoutLibp2p = await measureBundle('without libp2p (libp2p, @libp2p/* external)', LIBP2P_EXTERNALS)
  const withEverything = await measureBundle('with every dependency', [])
  log(`bundle: ${describeBundle(withoutLibp2p)}`)
  log(`bundle: ${describeBundle(withEverything)}`)
  return { entry: 'src/index.ts', withoutLibp2p, withEverything, goalGzipBytes: 25 * 1024, met: withoutLibp2p.gzipBytes <= 25 * 1024 }
}

if (isMain(import.meta.url)) {
  runBundle().then(r => { console.log(JSON.stringify(r, null, 2)); exitSoon() }, (err) => { console.error(err); process.exitCode = 1 })
}
