/**
 * The exhaustive, bounded exploration (issue 11, goal 3): `npm run explore`.
 *
 * Four members of weight 1 — three honest ConsensusManagers running the real core on one virtual
 * clock, one Byzantine member from a fixed menu (test/explore/strategies.ts) at every split — and a
 * network that delivers only what the explorer picks. Every schedule within the bounds is run from
 * scratch, depth-first (test/explore/explorer.ts says how the space is bounded). Each run is
 * checked for agreement (same decision and certificate id on every member that decided, every
 * certificate verifies) and, its suffix being fair, for termination. Prints the table and every
 * violation with a schedule that replays it; exit code 1 if there is one.
 *
 *   npm run explore                                   # the full bound, on 2 processes
 *   npm run explore -- --deviations 2 --window 2      # deeper (about 25× as many runs)
 *   npm run explore -- --strategy two-closes          # one strategy, every split
 *   npm run explore -- --replay 'two-closes/3/d0 d0 … x1'   # one run, with its trace
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { exploreJobs, jobs, merge, plain, table, unplain, violationGroups, type PlainFigures } from '../test/explore/report.js'
import { parseSchedule, runSchedule, TERMINATION_ROUND, type Bounds } from '../test/explore/run.js'
import { STRATEGIES } from '../test/explore/strategies.js'
import type { ExploreFigures } from '../test/explore/explorer.js'

const { values } = parseArgs({
  options: {
    delays: { type: 'string', default: '1' },
    drops: { type: 'string', default: '1' },
    duplicates: { type: 'string', default: '1' },
    deviations: { type: 'string', default: '1' },
    window: { type: 'string', default: '3' },
    horizon: { type: 'string', default: '60' },
    'termination-round': { type: 'string', default: String(TERMINATION_ROUND) },
    strategy: { type: 'string', multiple: true },
    jobs: { type: 'string', default: '2' },
    shard: { type: 'string' },
    replay: { type: 'string' }
  }
})

const bounds: Bounds = {
  delays: Number(values.delays),
  drops: Number(values.drops),
  duplicates: Number(values.duplicates),
  deviations: Number(values.deviations),
  window: Number(values.window),
  horizon: Number(values.horizon),
  terminationRound: Number(values['termination-round'])
}

async function replay (spec: string): Promise<void> {
  const [name, split, ...rest] = spec.split('/')
  const strategy = STRATEGIES.find(s => s.name === name)
  if (strategy === undefined) throw new Error(`no strategy ${String(name)}; the menu: ${STRATEGIES.map(s => s.name).join(', ')}`)
  const schedule = parseSchedule(rest.join('/'))
  // generous bounds: the schedule limits itself, and every move it names must still be allowed
  const open: Bounds = {
    delays: 99, drops: 99, duplicates: 99, deviations: 99, window: 99, horizon: schedule.length, terminationRound: bounds.terminationRound
  }
  const run = await runSchedule(strategy, Number(split), open, schedule, line => { console.log(line) })
  console.log(run.violation ?? 'every check passed')
  for (const d of run.decisions) console.log(`member ${d.member}: ${d.decision} ${d.path}@${d.round} certificate ${d.certificateId.slice(0, 16)}`)
  process.exitCode = run.violation === undefined ? 0 : 1
}

/** Run a shard of the jobs in a child process of this script; it prints its figures as JSON. */
function child (shard: string, names: readonly string[]): Promise<Map<string, PlainFigures>> {
  const args = [fileURLToPath(import.meta.url), '--shard', shard]
  for (const key of ['delays', 'drops', 'duplicates', 'deviations', 'window', 'horizon', 'termination-round'] as const) {
    args.push(`--${key}`, String(values[key]))
  }
  for (const name of names) args.push('--strategy', name)
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    proc.on('error', reject)
    proc.on('close', code => {
      if (code !== 0) reject(new Error(`shard ${shard} exited with ${String(code)}`))
      else resolve(new Map(JSON.parse(out) as Array<[string, PlainFigures]>))
    })
  })
}

async function main (): Promise<void> {
  if (values.replay !== undefined) return replay(values.replay)
  const names = values.strategy ?? []
  const all = jobs(names)
  if (values.shard !== undefined) {
    const [index, count] = values.shard.split('/').map(Number) as [number, number]
    const mine = all.filter((_, i) => i % count === index)
    const figures = await exploreJobs(mine, bounds)
    process.stdout.write(JSON.stringify([...figures].map(([name, f]) => [name, plain(f)])))
    return
  }
  const started = performance.now()
  const count = Math.max(1, Number(values.jobs))
  console.log(`exploring ${all.length} (strategy, split) pairs on ${count} process(es)…`)
  const shards = await Promise.all(Array.from({ length: count }, async (_, i) => child(`${i}/${count}`, names)))
  const byStrategy = new Map<string, ExploreFigures & { exhausted: boolean }>()
  for (const strategy of STRATEGIES) {
    for (const shard of shards) {
      const figures = shard.get(strategy.name)
      if (figures !== undefined) merge(byStrategy, strategy.name, unplain(figures))
    }
  }
  console.log(table(byStrategy, bounds))
  const violations = [...byStrategy.values()].flatMap(f => f.violations)
  console.log(`\n${(performance.now() - started) / 1000 | 0} s wall clock; ${violations.length} violation(s)`)
  if (violations.length > 0) {
    console.log(violationGroups(violations))
    process.exitCode = 1
  }
}

await main()
