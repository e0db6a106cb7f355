/**
 * The exploration over the whole menu — every strategy at every split — and its figures as a table,
 * shared by `npm run explore` (the full bound) and the slice `npm test` runs.
 */
import { addFigures, emptyFigures, explore, type ExploreFigures, type Violation } from './explorer.js'
import { STEP_MS, TERMINATION_ROUND, type Bounds } from './run.js'
import { STRATEGIES, type Strategy } from './strategies.js'

/** One strategy at one split: a unit of work. */
export interface Job {
  strategy: Strategy
  split: number
}

/** Every (strategy, split) of the menu, optionally only the strategies named. */
export function jobs (names?: readonly string[]): Job[] {
  const chosen = names === undefined || names.length === 0 ? STRATEGIES : STRATEGIES.filter(s => names.includes(s.name))
  return chosen.flatMap(strategy => strategy.splits.map(split => ({ strategy, split })))
}

/** Figures in a form JSON carries (Maps and Sets as arrays). */
export interface PlainFigures {
  runs: number
  violations: Violation[]
  decidedInPrefix: number
  decisions: Array<[string, number]>
  paths: Array<[string, number]>
  certificates: string[]
  maxRound: number
  maxDelayAfterDeadline: number
  ms: number
  exhausted: boolean
}

/** To JSON-able. */
export function plain (f: ExploreFigures & { exhausted: boolean }): PlainFigures {
  return { ...f, decisions: [...f.decisions], paths: [...f.paths], certificates: [...f.certificates] }
}

/** From JSON-able. */
export function unplain (p: PlainFigures): ExploreFigures & { exhausted: boolean } {
  return { ...p, decisions: new Map(p.decisions), paths: new Map(p.paths), certificates: new Set(p.certificates) }
}

/** Explore `work` in order; `onJob` sees each job's figures as it ends. */
export async function exploreJobs (
  work: readonly Job[], bounds: Bounds, onJob?: (job: Job, figures: ExploreFigures & { exhausted: boolean }) => void
): Promise<Map<string, ExploreFigures & { exhausted: boolean }>> {
  const byStrategy = new Map<string, ExploreFigures & { exhausted: boolean }>()
  for (const job of work) {
    const figures = await explore(job.strategy, job.split, bounds, { stepMs: STEP_MS })
    onJob?.(job, figures)
    merge(byStrategy, job.strategy.name, figures)
  }
  return byStrategy
}

/** Add `figures` into the entry `name` of `into`. */
export function merge (into: Map<string, ExploreFigures & { exhausted: boolean }>, name: string, figures: ExploreFigures & { exhausted: boolean }): void {
  const entry = into.get(name) ?? { ...emptyFigures(), exhausted: true }
  addFigures(entry, figures)
  entry.exhausted &&= figures.exhausted
  into.set(name, entry)
}

function top (map: Map<string, number>): string {
  return [...map].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
}

/** The table: one line per strategy, then the total. */
export function table (byStrategy: Map<string, ExploreFigures & { exhausted: boolean }>, bounds: Bounds): string {
  const lines = [
    `bounds: ≤ ${bounds.deviations} deviation(s) in all (≤ ${bounds.delays} delay, ≤ ${bounds.drops} drop, ≤ ${bounds.duplicates} duplicate), ` +
      `among the first ${bounds.window} packets in flight, in the first ${bounds.horizon} steps and before round 1; then fair; ` +
      `termination: every honest member decides before round ${bounds.terminationRound ?? TERMINATION_ROUND} starts`,
    '',
    '| strategy | splits | runs | violations | decided in prefix | decisions (runs) | paths (honest decisions) | certificates | max round | ' +
      'max Δ after deadline | time |',
    '|---|---|---|---|---|---|---|---|---|---|---|'
  ]
  const total = { ...emptyFigures(), exhausted: true }
  for (const [name, f] of byStrategy) {
    addFigures(total, f)
    total.exhausted &&= f.exhausted
    const strategy = STRATEGIES.find(s => s.name === name)
    lines.push(`| ${name} | ${strategy?.splits.length ?? '?'} | ${f.runs}${f.exhausted ? '' : ' (capped)'} | ${f.violations.length} | ${f.decidedInPrefix} | ` +
      `${top(f.decisions)} | ${top(f.paths)} | ${f.certificates.size} | ${f.maxRound} | ${f.maxDelayAfterDeadline.toFixed(1)} | ` +
      `${(f.ms / 1000).toFixed(1)} s |`)
  }
  lines.push(`| **all** | ${[...byStrategy.keys()].reduce((n, name) => n + (STRATEGIES.find(s => s.name === name)?.splits.length ?? 0), 0)} | ` +
    `${total.runs} | ${total.violations.length} | ${total.decidedInPrefix} | ${top(total.decisions)} | ${top(total.paths)} | ${total.certificates.size} | ` +
    `${total.maxRound} | ${total.maxDelayAfterDeadline.toFixed(1)} | ${(total.ms / 1000).toFixed(1)} s (CPU, summed) |`)
  return lines.join('\n')
}

/** Violations grouped by what failed (the member numbers and times stripped), each with one replayable schedule. */
export function violationGroups (violations: readonly Violation[]): string {
  const groups = new Map<string, Violation[]>()
  for (const v of violations) {
    const key = `${v.strategy}: ${v.violation.replace(/\d+/g, '#')}`
    groups.set(key, [...(groups.get(key) ?? []), v])
  }
  const lines: string[] = []
  for (const [key, list] of groups) {
    const first = list[0] as Violation
    const splits = [...new Set(list.map(v => v.split))].sort((a, b) => a - b).join(',')
    lines.push(`- ${list.length} × ${key} (splits ${splits})`)
    lines.push(`  e.g. split ${first.split}: ${first.violation}`)
    lines.push(`  deviations: ${first.deviations === '' ? '(none)' : first.deviations}`)
    lines.push(`  replay: npm run explore -- --replay '${first.strategy}/${first.split}/${first.schedule}'`)
  }
  return lines.join('\n')
}
