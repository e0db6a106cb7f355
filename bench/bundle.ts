/**
 * Section 6 of `npm run bench` (and what `npm run build` prints through scripts/bundle-size.ts): the
 * library's own browser bundle. The entry `src/index.ts` (everything but the libp2p edge) is bundled
 * for the browser with esbuild (already in node_modules: tsx runs on it), minified, ESM, and gzipped
 * at level 9 — once with `libp2p` and every `@libp2p/*` package left external (the goal applies to
 * this one: an app that runs consensus over libp2p ships those anyway), and once with everything in.
 * Runs alone too: `npx tsx bench/bundle.ts`.
 */
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { exitSoon, isMain, log } from './util.js'

/** One bundle measured. */
export interface BundleSize {
  label: string
  external: string[]
  bytes: number
  gzipBytes: number
  /** minified bytes per package (our own code by src/ folder) */
  byPackage: Record<string, number>
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

/** Bundle `src/index.ts` for the browser, minified, with `external` left out. */
export async function measureBundle (label: string, external: string[]): Promise<BundleSize> {
  const { build } = await import('esbuild')
  const result = await build({ entryPoints: [ENTRY], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, external, metafile: true, logLevel: 'error' })
  const output = result.outputFiles[0]?.contents ?? new Uint8Array(0)
  const byPackage: Record<string, number> = {}
  for (const out of Object.values(result.metafile.outputs)) {
    for (const [file, input] of Object.entries(out.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.replace(/^.*?(src\/[^/]+).*$/, '$1')
      byPackage[pkg] = (byPackage[pkg] ?? 0) + input.bytesInOutput
    }
  }
  return {
    label,
    external,
    bytes: output.byteLength,
    gzipBytes: gzipSync(output, { level: 9 }).byteLength,
    byPackage: Object.fromEntries(Object.entries(byPackage).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]))
  }
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`

/** A one-line summary: gzip size and the biggest parts. */
export function describeBundle (size: BundleSize): string {
  const parts = Object.entries(size.byPackage).slice(0, 6).map(([pkg, n]) => `${pkg} ${kb(n)}`).join(', ')
  return `${size.label}: ${kb(size.gzipBytes)} gzip (${kb(size.bytes)} minified; largest: ${parts})`
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
