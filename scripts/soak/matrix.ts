import type { CoordinatorCrash, PartitionShape, TrialOptions } from './trial.js'

/**
 * The fault matrix: which combinations of faults the soak (`npm run soak`) and its CI slice
 * (`test/fault-matrix.test.ts`) run, seeded and in virtual time on a `MemoryNetwork`.
 *
 * The full cross product of the factors below has 3·3·3·3·5·5·2 = 4 050 cells; at a few seeds each
 * that is far more than a soak can run. The matrix is instead a **covering design**:
 *
 * 1. **crash × partition, fully crossed at N = 20** — all 25 combinations of where the coordinator
 *    dies and how the network is split, the two factors whose interplay decides liveness;
 * 2. **pairwise covering of every factor** — rows added greedily until every level of every factor
 *    has appeared together with every level of every other factor in at least one cell (so N = 5
 *    and N = 50 also meet every crash point, every partition, every skew, …).
 *
 * Within a cell, the seed also picks the algorithm (quorum, weighted, unanimous, supermajority in
 * turn) and each agent's vote (70 % for, the rest against, abstaining or silent). Fixed for every
 * cell: 20 % duplication, 20 % reordering (held back up to 500 ms), partitions healed 1 ms after the
 * deadline, Δ = the default close step (a quarter of the timeout, at least 2 s).
 */

/** The factors and their levels. */
export const FACTORS = {
  crash: ['none', 'before-spread', 'mid-vote', 'at-deadline', 'after-close-reached-one'] as CoordinatorCrash[],
  partition: ['none', 'one-peer', 'minority', 'majority', 'ring'] as PartitionShape[],
  agents: [5, 20, 50],
  loss: [0, 0.1, 0.3],
  jitterMs: [0, 200, 2_000],
  skewMs: [0, 500, 5_000],
  /** the proposal's timeout; Δ is a quarter of it, so jitter and skew are stressed against two Δs (500 ms, 2.5 s) */
  timeoutMs: [2_000, 10_000]
}

export type Factor = keyof typeof FACTORS

/** The order factors are assigned in (most levels first, the usual greedy covering heuristic). */
const ORDER: Factor[] = ['crash', 'partition', 'agents', 'loss', 'jitterMs', 'skewMs', 'timeoutMs']

/** Knobs every cell shares. */
export const FIXED = { duplicate: 0.2, reorder: 0.2, reorderMs: 500, support: 0.7 } as const

/** Algorithms the seeds of a cell rotate through. */
export const ALGORITHMS = ['quorum', 'weighted', 'unanimous', 'supermajority'] as const

/** One cell: a level of every factor. */
export interface Cell {
  /** short stable name, e.g. `X07` (crash × partition cross) or `P12` (pairwise rows) */
  id: string
  /** which part of the design added it */
  part: 'cross' | 'pairwise'
  crash: CoordinatorCrash
  partition: PartitionShape
  agents: number
  loss: number
  jitterMs: number
  skewMs: number
  timeoutMs: number
}

type Row = Partial<Record<Factor, number>> // factor → level index

function pairKey (f: number, a: number, g: number, b: number): string {
  return f < g ? `${f}:${a}|${g}:${b}` : `${g}:${b}|${f}:${a}`
}

/** Every (factor, level) × (other factor, level) pair. */
function allPairs (): Set<string> {
  const pairs = new Set<string>()
  for (let f = 0; f < ORDER.length; f++) {
    for (let g = f + 1; g < ORDER.length; g++) {
      const fl = FACTORS[ORDER[f] as Factor].length
      const gl = FACTORS[ORDER[g] as Factor].length
      for (let a = 0; a < fl; a++) for (let b = 0; b < gl; b++) pairs.add(pairKey(f, a, g, b))
    }
  }
  return pairs
}

function pairsOf (row: Row): string[] {
  const out: string[] = []
  for (let f = 0; f < ORDER.length; f++) {
    const a = row[ORDER[f] as Factor]
    if (a === undefined) continue
    for (let g = f + 1; g < ORDER.length; g++) {
      const b = row[ORDER[g] as Factor]
      if (b !== undefined) out.push(pairKey(f, a, g, b))
    }
  }
  return out
}

/**
 * Fill the unset factors of `row` one by one, each with the level that covers the most pairs still
 * uncovered (ties: the level used least so far, then the lowest). Deterministic.
 */
function complete (row: Row, uncovered: Set<string>, usage: Map<string, number>): Row {
  for (const factor of ORDER) {
    if (row[factor] !== undefined) continue
    let best = 0
    let bestGain = -1
    let bestUse = Infinity
    for (let level = 0; level < FACTORS[factor].length; level++) {
      const trial = { ...row, [factor]: level }
      const gain = pairsOf(trial).filter(p => uncovered.has(p)).length
      const use = usage.get(`${factor}:${level}`) ?? 0
      if (gain > bestGain || (gain === bestGain && use < bestUse)) { best = level; bestGain = gain; bestUse = use }
    }
    row[factor] = best
  }
  for (const p of pairsOf(row)) uncovered.delete(p)
  for (const factor of ORDER) usage.set(`${factor}:${row[factor] as number}`, (usage.get(`${factor}:${row[factor] as number}`) ?? 0) + 1)
  return row
}

function toCell (row: Row, id: string, part: Cell['part']): Cell {
  const level = <F extends Factor>(f: F): (typeof FACTORS)[F][number] => FACTORS[f][row[f] as number] as (typeof FACTORS)[F][number]
  return {
    id,
    part,
    crash: level('crash'),
    partition: level('partition'),
    agents: level('agents'),
    loss: level('loss'),
    jitterMs: level('jitterMs'),
    skewMs: level('skewMs'),
    timeoutMs: level('timeoutMs')
  }
}

/** The matrix: the crash × partition cross at N = 20, then pairwise rows until every pair is covered. */
export function matrixCells (): Cell[] {
  const uncovered = allPairs()
  const usage = new Map<string, number>()
  const cells: Cell[] = []
  const n20 = FACTORS.agents.indexOf(20)
  FACTORS.crash.forEach((_, crash) => {
    FACTORS.partition.forEach((_, partition) => {
      const row = complete({ crash, partition, agents: n20 }, uncovered, usage)
      cells.push(toCell(row, `X${String(cells.length + 1).padStart(2, '0')}`, 'cross'))
    })
  })
  let p = 0
  while (uncovered.size > 0) {
    // seed the next row with the first pair still uncovered, then complete it greedily
    const [first] = uncovered
    const [x, y] = (first as string).split('|').map(s => s.split(':').map(Number)) as [[number, number], [number, number]]
    const row = complete({ [ORDER[x[0]] as Factor]: x[1], [ORDER[y[0]] as Factor]: y[1] }, uncovered, usage)
    cells.push(toCell(row, `P${String(++p).padStart(2, '0')}`, 'pairwise'))
  }
  return cells
}

/** Pairs of factor levels no cell covers (empty for {@link matrixCells}). */
export function uncoveredPairs (cells: Cell[]): string[] {
  const uncovered = allPairs()
  for (const cell of cells) {
    const row: Row = {}
    for (const factor of ORDER) row[factor] = (FACTORS[factor] as Array<Cell[Factor]>).indexOf(cell[factor])
    for (const p of pairsOf(row)) uncovered.delete(p)
  }
  return [...uncovered].map(key => key.split('|').map(part => {
    const [f, l] = part.split(':').map(Number) as [number, number]
    const factor = ORDER[f] as Factor
    return `${factor}=${String(FACTORS[factor][l])}`
  }).join(' & '))
}

/** The trial a cell runs for `seed` (`rotation` picks the algorithm: the seed's round through the cells). */
export function trialOptions (cell: Cell, seed: number, rotation = seed): TrialOptions {
  return {
    seed,
    agents: cell.agents,
    crash: cell.crash,
    partition: cell.partition,
    loss: cell.loss,
    jitterMs: cell.jitterMs,
    skewMs: cell.skewMs,
    timeoutMs: cell.timeoutMs,
    algorithm: ALGORITHMS[rotation % ALGORITHMS.length],
    ...FIXED
  }
}

/**
 * A soak plan: trial seeds 0…total−1, seed s running cell `cycle[s mod cycle.length]`, where each cell
 * appears in the cycle `weight(cell)` times. Any seed can be re-run alone from its number.
 */
export class SoakPlan {
  readonly cells: Cell[]
  readonly cycle: number[]

  constructor (cells: Cell[] = matrixCells(), weight: (cell: Cell) => number = () => 1) {
    this.cells = cells
    this.cycle = []
    const weights = cells.map(c => Math.max(0, Math.round(weight(c))))
    // interleave: round r takes every cell whose weight exceeds r, so heavy and light cells mix over time
    for (let r = 0; r < Math.max(...weights); r++) cells.forEach((_, i) => { if ((weights[i] as number) > r) this.cycle.push(i) })
  }

  cellOf (seed: number): Cell {
    return this.cells[this.cycle[seed % this.cycle.length] as number] as Cell
  }

  trial (seed: number): TrialOptions {
    return trialOptions(this.cellOf(seed), seed, Math.floor(seed / this.cycle.length))
  }
}

/** One cell of the CI slice and the seeds it runs. */
export interface SliceCell { cell: Cell, seeds: number[] }

/**
 * The CI slice (`test/fault-matrix.test.ts`): every crash point × every partition × both non-zero
 * skews at N = 5 and at N = 20, loss, jitter and timeout rotated across those cells (so each level of
 * each appears), `seedsPerCell` seeds each; plus four N = 50 cells, one seed each.
 */
export function ciSlice (seedsPerCell = 2): SliceCell[] {
  const out: SliceCell[] = []
  let seed = 1_000_000
  for (const agents of [5, 20]) {
    FACTORS.crash.forEach((crash, c) => {
      FACTORS.partition.forEach((partition, p) => {
        [500, 5_000].forEach((skewMs, s) => {
          const cell: Cell = {
            id: `CI-${agents}-${c}${p}${s}`,
            part: 'cross',
            crash,
            partition,
            agents,
            loss: FACTORS.loss[(c + p) % 3] as number,
            jitterMs: FACTORS.jitterMs[(c + 2 * p + s) % 3] as number,
            skewMs,
            timeoutMs: FACTORS.timeoutMs[(c + p + s) % 2] as number
          }
          out.push({ cell, seeds: Array.from({ length: seedsPerCell }, () => seed++) })
        })
      })
    })
  }
  const big: Array<[CoordinatorCrash, PartitionShape, number, number, number, number]> = [
    // crash, partition, loss, jitter, skew, timeout
    ['none', 'ring', 0.1, 200, 500, 2_000],
    ['mid-vote', 'minority', 0.3, 200, 0, 10_000],
    ['at-deadline', 'one-peer', 0, 2_000, 500, 10_000],
    ['after-close-reached-one', 'majority', 0.1, 0, 5_000, 10_000]
  ]
  big.forEach(([crash, partition, loss, jitterMs, skewMs, timeoutMs], i) => {
    out.push({ cell: { id: `CI-50-${i}`, part: 'pairwise', crash, partition, agents: 50, loss, jitterMs, skewMs, timeoutMs }, seeds: [seed++] })
  })
  return out
}
