/**
 * Exhaustive, bounded exploration (issue 11, goal 3): stateless model checking by replay. Each run
 * is rebuilt from scratch and driven by a schedule; depth-first, the explorer backtracks to the
 * deepest choice point with a move not yet tried and runs that prefix again. The space is bounded
 * the standard way: delay-bounded scheduling (Emmi, Qadeer, Rakamarić, POPL 2011) — deliver the
 * oldest packet by default, deviate at most `delays` times by delivering one of the first `window`
 * packets instead, or by letting time pass while packets are in flight — with at most `drops`
 * losses and `duplicates` duplicates, all before round 1 starts and within `horizon` steps. After
 * that prefix delivery is fair (every packet, oldest first, time passing when none is in flight).
 * Every run is checked for agreement and valid certificates; every run, its suffix being fair, for
 * termination: each honest member decides before round {@link TERMINATION_ROUND} starts.
 */
import { runSchedule, spell, TERMINATION_ROUND, type Bounds, type Move, type RunResult } from './run.js'
import type { Strategy } from './strategies.js'

/** A run that failed a check, with the schedule that replays it. */
export interface Violation {
  strategy: string
  split: number
  violation: string
  /** the replayable schedule (see {@link spell}); `parseSchedule` reads it back */
  schedule: string
  /** the same schedule, only its deviations from the default move (step:move) */
  deviations: string
}

/** Figures of one strategy at one split, or summed over several. */
export interface ExploreFigures {
  runs: number
  violations: Violation[]
  /** runs in which every honest member decided before the fair suffix began */
  decidedInPrefix: number
  /** decision → runs */
  decisions: Map<string, number>
  /** `path@round` of every honest decision → how many */
  paths: Map<string, number>
  /** distinct certificate ids seen */
  certificates: Set<string>
  maxRound: number
  /** the longest time to a decision after the deadline, in Δ */
  maxDelayAfterDeadline: number
  ms: number
}

/** Empty figures. */
export function emptyFigures (): ExploreFigures {
  return {
    runs: 0,
    violations: [],
    decidedInPrefix: 0,
    decisions: new Map(),
    paths: new Map(),
    certificates: new Set(),
    maxRound: 0,
    maxDelayAfterDeadline: 0,
    ms: 0
  }
}

function bump (map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by)
}

/** Add `b` into `a`. */
export function addFigures (a: ExploreFigures, b: ExploreFigures): void {
  a.runs += b.runs
  a.violations.push(...b.violations)
  a.decidedInPrefix += b.decidedInPrefix
  for (const [k, v] of b.decisions) bump(a.decisions, k, v)
  for (const [k, v] of b.paths) bump(a.paths, k, v)
  for (const c of b.certificates) a.certificates.add(c)
  a.maxRound = Math.max(a.maxRound, b.maxRound)
  a.maxDelayAfterDeadline = Math.max(a.maxDelayAfterDeadline, b.maxDelayAfterDeadline)
  a.ms += b.ms
}

/** Options of {@link explore}. */
export interface ExploreOptions {
  /** stop after this many runs (a budget; the figures say whether the space was exhausted) */
  maxRuns?: number
  /** stop at the first violation */
  stopAtViolation?: boolean
  /** step size in Δ of the deadline-relative delay figure */
  stepMs: number
}

function record (figures: ExploreFigures, run: RunResult, strategy: Strategy, split: number, stepMs: number): void {
  figures.runs++
  if (run.decidedInPrefix) figures.decidedInPrefix++
  figures.maxRound = Math.max(figures.maxRound, run.maxRound)
  const decided = new Set(run.decisions.map(d => d.decision))
  bump(figures.decisions, decided.size === 0 ? 'none' : [...decided].join('|'))
  for (const d of run.decisions) {
    bump(figures.paths, `${d.path}@${d.round}`)
    figures.certificates.add(d.certificateId)
    figures.maxDelayAfterDeadline = Math.max(figures.maxDelayAfterDeadline, d.afterDeadline / stepMs)
  }
  if (run.violation !== undefined) {
    figures.violations.push({
      strategy: strategy.name,
      split,
      violation: run.violation,
      schedule: run.schedule.map(spell).join(' '),
      deviations: run.points.map((p, i) => p.chosen === 0 ? '' : `${i}:${spell(p.moves[p.chosen] as Move)}`).filter(s => s !== '').join(' ')
    })
  }
}

/**
 * Explore every schedule of `strategy` at `split` within `bounds`, depth-first. Returns the figures;
 * `exhausted` is false when `maxRuns` stopped it first.
 */
export async function explore (strategy: Strategy, split: number, bounds: Bounds, options: ExploreOptions): Promise<ExploreFigures & { exhausted: boolean }> {
  const figures = emptyFigures()
  const started = performance.now()
  let prefix: Move[] = []
  let exhausted = false
  for (;;) {
    const run = await runSchedule(strategy, split, bounds, prefix)
    record(figures, run, strategy, split, options.stepMs)
    if (run.violation !== undefined && options.stopAtViolation === true) break
    // backtrack: the deepest choice point with a move not tried yet
    let i = run.points.length - 1
    while (i >= 0 && (run.points[i]?.chosen as number) + 1 >= (run.points[i]?.moves.length as number)) i--
    if (i < 0) {
      exhausted = true
      break
    }
    const point = run.points[i] as RunResult['points'][number]
    prefix = [...run.schedule.slice(0, i), point.moves[point.chosen + 1] as Move]
    if (options.maxRuns !== undefined && figures.runs >= options.maxRuns) break
  }
  figures.ms = performance.now() - started
  return { ...figures, exhausted }
}

export { TERMINATION_ROUND }
