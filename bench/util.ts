/**
 * Helpers every benchmark section shares: percentiles, tables, the machine and the revision
 * measured, a forced GC for heap figures.
 */
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Monotonic microseconds, on the clock V8's `--cpu-prof` timestamps use (CLOCK_MONOTONIC). */
export const monoUs = (): number => Number(process.hrtime.bigint() / 1000n)

const t0 = performance.now()
/** Seconds since the process started measuring, for progress lines. */
export const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`
/** A progress line with the elapsed time. */
export const log = (line: string): void => { console.log(`[${elapsed().padStart(7)}] ${line}`) }

/** Percentile by linear interpolation between closest ranks (R-7, the spreadsheet default). */
export function percentile (samples: number[], p: number): number | null {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (sorted.length - 1) * p
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (rank - lo)
}

export interface Summary { n: number, p50: number | null, p95: number | null, mean: number | null, min: number | null, max: number | null }

export const round2 = (x: number | null): number | null => x === null ? null : Math.round(x * 100) / 100

export function summarize (samples: number[]): Summary {
  return {
    n: samples.length,
    p50: round2(percentile(samples, 0.5)),
    p95: round2(percentile(samples, 0.95)),
    mean: round2(samples.length === 0 ? null : samples.reduce((a, b) => a + b, 0) / samples.length),
    min: round2(samples.length === 0 ? null : Math.min(...samples)),
    max: round2(samples.length === 0 ? null : Math.max(...samples))
  }
}

/** A number for a table: no decimals from 100 up, one below. */
export const f = (x: number | null | undefined): string => x === null || x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1)
/** A ratio for a table. */
export const times = (x: number | null | undefined): string => x === null || x === undefined ? '–' : `${x.toFixed(2)}×`
/** A large count with thousands separators. */
export const n0 = (x: number | null | undefined): string => x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US')

/** A markdown table; the first `left` columns are left-aligned, the rest right-aligned. */
export function markdown (head: string[], rows: string[][], left = 2): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(row => (row[i] ?? '').length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => i < left ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)).join(' | ')} |`
  return [line(head), `|${widths.map((w, i) => i < left ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`).join('|')}|`, ...rows.map(line)].join('\n')
}

/** The machine measured on (other processes may share its cores: see `loadAverage`). */
export function machineInfo (): { cpu: string, cores: number, node: string, os: string, memoryGiB: number, loadAverage: number[] } {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    loadAverage: os.loadavg().map(x => Math.round(x * 100) / 100)
  }
}

/** The commit measured, and whether src/ or demo/ differed from it (others edit the tree meanwhile). */
export function gitRevision (): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'demo'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''
    return dirty ? `${head} (src/ or demo/ modified)` : head
  } catch {
    return 'unknown'
  }
}

/** The installed version of a dependency. */
export async function versionOf (pkg: string): Promise<string> {
  try {
    const url = new URL(`../node_modules/${pkg}/package.json`, import.meta.url)
    return (JSON.parse(await readFile(url, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

let gcFn: (() => void) | undefined

/** A full garbage collection (V8's `gc`, exposed on demand), twice so that weak references clear too. */
export function collectGarbage (): void {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc')
    gcFn = runInNewContext('gc') as () => void
  }
  gcFn()
  gcFn()
}

/**
 * Memory in use after a full GC, bytes: the V8 heap plus the ArrayBuffer backing stores it points to
 * (every received envelope lives in one; `heapUsed` alone would leave them out).
 */
export async function heapUsed (): Promise<number> {
  // let pending promise chains and timers finish first, so they do not count
  await sleep(10)
  collectGarbage()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

/** Run `tasks` with at most `limit` in flight. */
export async function limited <T> (limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = []
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await (tasks[i] as () => Promise<T>)()
    }
  }))
  return results
}

/** Whether a module is the entry point (`tsx bench/x.ts`), so that a section file also runs alone. */
export function isMain (url: string): boolean {
  return process.argv[1] !== undefined && url.endsWith(process.argv[1].replace(/^.*\/bench\//, '/bench/'))
}

/** Parse `--flag value` / `--flag=value` pairs into a map (repeated flags: the last wins). */
export function parseFlags (argv: string[]): Map<string, string> {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`)
    const eq = arg.indexOf('=')
    if (eq > 0) flags.set(arg.slice(0, eq), arg.slice(eq + 1))
    else if (argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) flags.set(arg, argv[++i] as string)
    else flags.set(arg, 'true')
  }
  return flags
}

/** Stray timers in a dependency must not keep a finished benchmark alive: say so, then leave. */
export function exitSoon (): void {
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? []
    console.error(`note: still ${handles.length} active handles 5 s after the benchmark finished; exiting`)
    process.exit(process.exitCode ?? 0)
  }, 5_000).unref()
}
