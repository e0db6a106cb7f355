import { defaultCloseStepMs } from '../../src/core/constants.js'
import { FACTORS, FIXED, ALGORITHMS, type Cell, type Factor } from './matrix.js'
import { HORIZONS, type TrialReport } from './trial.js'

/** Figures summed over a set of trials (a cell, a factor level, or everything). */
export class TrialStats {
  trials = 0
  /** live agents (not crashed), summed over trials */
  live = 0
  /** live agents that ever held the proposal */
  reached = 0
  /** live agents that finalized by the end of the trial */
  finalized = 0
  /** live agents finalized by deadline + k·Δ, per {@link HORIZONS} */
  finalizedBy: number[] = HORIZONS.map(() => 0)
  /** trials where every live agent finalized, and where none did */
  allFinalized = 0
  noneFinalized = 0
  /** trials where the proposal reached a live agent but some live agent never finalized */
  notAllFinal = 0
  /** of the trials none final, those where the proposal reached no live agent (nothing to decide on) */
  unreachedTrials = 0
  /** trials where no live agent decided in round 0 (the coordinator's close): a later round decided, or none */
  round0Missed = 0
  /** the round each live agent that finalized decided in */
  rounds: number[] = []
  /** live agents that decided on the fast path (every member's round-0 prevote) */
  fast = 0
  /** time to decision from the request, in Δ (the proposal's step), one per live agent that finalized */
  deltas: number[] = []
  disagreements = 0
  conflictingCertificates = 0
  /** trials where two or more distinct closes were signed */
  multiCloseTrials = 0
  twoClosesReceived = 0
  twoClosesVerified = 0
  twoClosesDetected = 0
  votesPulled = 0
  votesPulledNew = 0
  /** virtual ms from proposal to decision, one per live agent that finalized */
  times: number[] = []
  wallMs = 0
  /** seeds that broke safety (disagreement or conflicting certificates) or detection */
  badSeeds: number[] = []
  /** seeds whose trial threw */
  errorSeeds: number[] = []

  add (report: TrialReport, wallMs = 0): void {
    this.trials++
    this.live += report.live
    this.reached += report.liveReached
    this.finalized += report.liveFinalized
    report.finalizedBy.forEach((n, i) => { this.finalizedBy[i] = (this.finalizedBy[i] ?? 0) + n })
    if (report.live > 0 && report.liveFinalized === report.live) this.allFinalized++
    if (report.liveReached > 0 && report.liveFinalized < report.live) this.notAllFinal++
    if (report.liveFinalized === 0) {
      this.noneFinalized++
      if (report.liveReached === 0) this.unreachedTrials++
    }
    if (!report.decidedRounds.includes(0)) this.round0Missed++
    this.rounds.push(...report.decidedRounds)
    this.fast += report.fastDecisions
    for (const t of report.liveDecisionTimes) this.deltas.push(t / report.stepMs)
    this.disagreements += report.disagreements
    this.conflictingCertificates += report.conflictingCertificates
    if (report.closesSigned > 1) this.multiCloseTrials++
    this.twoClosesReceived += report.twoClosesReceived
    this.twoClosesVerified += report.twoClosesVerified
    this.twoClosesDetected += report.twoClosesDetected
    this.votesPulled += report.votesPulled
    this.votesPulledNew += report.votesPulledNew
    this.times.push(...report.liveDecisionTimes)
    this.wallMs += wallMs
    if (report.disagreements > 0 || report.conflictingCertificates > 0 || report.twoClosesDetected < report.twoClosesVerified) this.badSeeds.push(report.seed)
  }

  /** Share of live agents finalized by deadline + HORIZONS[i]·Δ (i = HORIZONS.length: by the end). */
  share (i: number): number {
    const n = i < HORIZONS.length ? (this.finalizedBy[i] ?? 0) : this.finalized
    return this.live === 0 ? 0 : n / this.live
  }

  percentile (p: number): number | undefined {
    return percentile(this.times, p)
  }
}

/** Nearest-rank percentile (p in 0…100) of unsorted values. */
export function percentile (values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** Everything a soak measured: per cell, per factor level, and in total. */
export class SoakAggregate {
  readonly total = new TrialStats()
  readonly byCell = new Map<string, { cell: Cell, stats: TrialStats }>()
  readonly byLevel = new Map<string, TrialStats>()
  /** time to decision, per timeout level */
  readonly byTimeout = new Map<number, TrialStats>()

  constructor (cells: Cell[]) {
    for (const cell of cells) this.byCell.set(cell.id, { cell, stats: new TrialStats() })
  }

  add (cell: Cell, report: TrialReport, wallMs = 0): void {
    this.total.add(report, wallMs)
    this.cellStats(cell).add(report, wallMs)
    for (const factor of Object.keys(FACTORS) as Factor[]) this.level(factor, cell[factor]).add(report, wallMs)
  }

  error (cell: Cell, seed: number): void {
    this.total.errorSeeds.push(seed)
    this.cellStats(cell).errorSeeds.push(seed)
  }

  level (factor: Factor, value: Cell[Factor]): TrialStats {
    const key = `${factor}=${String(value)}`
    let stats = this.byLevel.get(key)
    if (stats === undefined) { stats = new TrialStats(); this.byLevel.set(key, stats) }
    return stats
  }

  private cellStats (cell: Cell): TrialStats {
    let entry = this.byCell.get(cell.id)
    if (entry === undefined) { entry = { cell, stats: new TrialStats() }; this.byCell.set(cell.id, entry) }
    return entry.stats
  }
}

/** Facts about the run printed in the generated header. */
export interface SoakMeta {
  command: string
  date: string
  cpu: string
  cpus: number
  node: string
  workers: number
  wallMs: number
  /** wall time until the last fault-matrix trial was done (the Byzantine trials follow) */
  matrixWallMs?: number
  /** Byzantine trials run after the matrix's */
  byzantine?: number
  seeds: number
  /** how often a cell appears in the seed cycle, by N */
  weights: Record<number, number>
  /** length of the seed cycle */
  cycle: number
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`
const ms = (x: number | undefined): string => x === undefined ? '—' : x >= 1_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`
const int = (x: number): string => x.toLocaleString('en-US')
/** p50 / max of decided rounds, `—` if none. */
const roundSpread = (rounds: number[]): string => rounds.length === 0 ? '—' : `${percentile(rounds, 50) ?? 0} / ${percentile(rounds, 100) ?? 0}`
/** A time in Δ. */
const deltas = (x: number | undefined): string => x === undefined ? '—' : `${x.toFixed(2)} Δ`
/** One markdown table row: `| a | b | c |`. */
const tableRow = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`

function duration (wallMs: number): string {
  const s = Math.round(wallMs / 1000)
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`
}

const LEVEL_NAMES: Record<Factor, string> = {
  crash: 'coordinator crash',
  partition: 'partition (healed after the deadline)',
  loss: 'loss',
  agents: 'N (agents)',
  skewMs: 'clock skew ±',
  jitterMs: 'latency jitter [0, x]',
  timeoutMs: 'timeout (Δ = default close step)'
}

function levelLabel (factor: Factor, value: Cell[Factor]): string {
  if (factor === 'loss') return `${Math.round(100 * (value as number))} %`
  if (factor === 'skewMs' || factor === 'jitterMs' || factor === 'timeoutMs') return ms(value as number)
  return String(value)
}

/** The columns that name a cell: id, N and its factor levels. */
function cellColumns (cell: Cell): Array<string | number> {
  return [cell.id, cell.agents, cell.crash, cell.partition, levelLabel('loss', cell.loss), ms(cell.jitterMs), ms(cell.skewMs), ms(cell.timeoutMs)]
}

function livenessHeader (first: string): string[] {
  return [
    tableRow([
      first, 'trials', 'live agents', 'held the proposal', HORIZONS.map(k => `by d+${k}Δ`).join(' | '),
      'by the end', 'trials all final', 'trials none final (proposal reached none)', 'round 0 undecided', 'decided round p50 / max'
    ]),
    `|---|---:|---:|---:|${HORIZONS.map(() => '---:|').join('')}---:|---:|---:|---:|---:|`
  ]
}

function livenessRow (label: string, s: TrialStats): string {
  return tableRow([
    label, int(s.trials), int(s.live), pct(s.reached / Math.max(1, s.live)), HORIZONS.map((_, i) => pct(s.share(i))).join(' | '),
    pct(s.share(HORIZONS.length)), pct(s.allFinalized / Math.max(1, s.trials)), `${pct(s.noneFinalized / Math.max(1, s.trials))} (${int(s.unreachedTrials)})`,
    pct(s.round0Missed / Math.max(1, s.trials)), roundSpread(s.rounds)
  ])
}

/**
 * Render docs/RELIABILITY.md. `corpus` is the adversarial corpus summary, included verbatim if given;
 * `byzantine` the lines of the Byzantine (and ballot) cells' sections, placed after the fault matrix's time to decision.
 */
export function renderReliability (agg: SoakAggregate, meta: SoakMeta, corpus: string | undefined, byzantine: string[] = []): string {
  const t = agg.total
  const cells = [...agg.byCell.values()]
  const finalizedAgents = t.finalized
  const safe = t.disagreements === 0 && t.conflictingCertificates === 0
  const out: string[] = []
  out.push(
    '<!-- GENERATED FILE — do not edit by hand. Regenerate with `npm run soak` (scripts/soak/index.ts). -->',
    '',
    '# Reliability',
    '',
    `> **Generated** by \`${meta.command}\` on ${meta.date}, not written by hand: every figure below`,
    '> comes from that run. Re-run the command to refresh it.',
    `> Machine: ${meta.cpu} × ${meta.cpus} CPUs, Node ${meta.node}; ${meta.workers} worker threads;`,
    `> ${int(t.trials)} seeded fault-matrix trials${(meta.byzantine ?? 0) > 0 ? ` and ${int(meta.byzantine ?? 0)} Byzantine trials` : ''} ` +
      `in ${duration(meta.wallMs)} of wall time.`,
    '',
    'Each trial is one proposal on a `SimulatedSwarm`: N agents on a seeded `MemoryNetwork` in virtual',
    'time (`scripts/soak/trial.ts`), faults drawn from the seed, the coordinator (agent 0) possibly crashed at',
    'a staged point, the network possibly partitioned from the start until 1 ms after the deadline.',
    'Times are virtual milliseconds of shared time (not any agent\'s skewed clock); "d + kΔ" is the',
    'proposal\'s deadline plus k close steps (Δ = the default close step: a quarter of the timeout, at least 2 s). ' +
      'Liveness shares count the agents still',
    'running at the end (the crashed coordinator is left out).',
    ''
  )
  if (!safe || t.badSeeds.length > 0 || t.errorSeeds.length > 0) {
    out.push('## ⚠ Violations', '')
    if (t.badSeeds.length > 0) {
      const listed = `${t.badSeeds.slice(0, 50).join(', ')}${t.badSeeds.length > 50 ? ', …' : ''}`
      out.push(`Seeds that broke safety or detection: ${listed}. Re-run one with \`npx tsx scripts/soak/index.ts --seed <n>\`.`, '')
    }
    if (t.errorSeeds.length > 0) out.push(`Seeds whose trial threw: ${t.errorSeeds.slice(0, 50).join(', ')}.`, '')
  }

  out.push('## Guarantees and the figures behind them', '')
  out.push('| guarantee | figure that backs it |', '|---|---|')
  out.push(tableRow([
    '**Safety.** No two honest peers finalize different decisions for one proposal.',
    `**${int(t.disagreements)} disagreements** among finalized peers over **${int(t.trials)} trials** ` +
      `(${int(finalizedAgents)} live agents finalized, in ${int(t.trials - t.noneFinalized)} trials with at least one decision).`
  ]))
  out.push(tableRow([
    '**Safety.** One proposal has at most one certificate (its id is the decided outcome\'s id, the same on every peer).',
    `**${int(t.conflictingCertificates)} conflicting certificates** over ${int(t.trials)} trials — ` +
      `although two or more distinct closes were signed in ${int(t.multiCloseTrials)} of them ` +
      '(closers of later rounds, or a fallback closing while another close was on its way).'
  ]))
  const detectedShare = t.twoClosesVerified === 0 ? '—' : pct(t.twoClosesDetected / t.twoClosesVerified)
  out.push(tableRow([
    '**Detection.** A peer that verifies two closes of one closer for one round with different outcomes raises `conflicting-close` evidence.',
    `**${int(t.twoClosesDetected)} of ${int(t.twoClosesVerified)}** such peers detected it (${detectedShare}); ` +
      `${int(t.twoClosesReceived)} peers received two or more distinct closes (of any rounds).` +
      (t.twoClosesVerified === 0
        ? ' The matrix has no such pair: its closers are honest and sign one close per round; ' +
          'the EQ cells of the Byzantine section below do, and count the evidence raised.'
        : '')
  ]))
  out.push(tableRow([
    '**Liveness.** Once faults heal, every honest, running, connected member finalizes when they carry > 2/3 of the weight ' +
      '(closing rounds with rotating closers, docs/PROTOCOL.md).',
    `${HORIZONS.map((k, i) => `${pct(t.share(i))} by d + ${k}Δ`).join(', ')}, ${pct(t.share(HORIZONS.length))} by the end, over all cells; ` +
      'per crash point, partition and loss below. ' +
      `In ${int(t.noneFinalized)} trials (${pct(t.noneFinalized / Math.max(1, t.trials))}) nobody finalized, ` +
      `${int(t.unreachedTrials)} of them because the proposal reached no live agent; ` +
      `in ${int(t.notAllFinal)} trials the proposal reached a live agent and some live agent never finalized. ` +
      `Round 0 did not decide in ${int(t.round0Missed)} trials (${pct(t.round0Missed / Math.max(1, t.trials))}): a later round did; ` +
      `decided round p50 / max ${roundSpread(t.rounds)}; ${pct(t.fast / Math.max(1, t.finalized))} of decisions on the fast path.`
  ]))
  const timesByTimeout = [...FACTORS.timeoutMs].map(timeout => {
    const s = agg.level('timeoutMs', timeout)
    return `timeout ${ms(timeout)}: p50 ${ms(s.percentile(50))}, p99 ${ms(s.percentile(99))}`
  })
  out.push(tableRow([
    '**Time to decision** (virtual, from the request).',
    `${timesByTimeout.join('; ')}; in Δ: p50 ${deltas(percentile(t.deltas, 50))}, p99 ${deltas(percentile(t.deltas, 99))} (every live agent that finalized).`
  ]))
  out.push(tableRow([
    '**Pull sync** recovers what the network lost.',
    `${int(t.votesPulled)} votes delivered point to point by pulls (${(t.votesPulled / Math.max(1, t.trials)).toFixed(1)} per trial), ` +
      `${int(t.votesPulledNew)} of them new to the receiver (${(t.votesPulledNew / Math.max(1, t.trials)).toFixed(1)} per trial).`
  ]))
  out.push('')

  out.push('## Liveness by factor', '',
    'Share of live agents finalized by d + kΔ. The matrix is a covering design, not a full cross',
    'product: a factor level\'s row averages the cells that contain it, whose other factors differ, so',
    'compare rows with that in mind (the crash × partition rows at N = 20 are fully crossed). "Round 0',
    'undecided": trials where no live agent decided in round 0 (the coordinator\'s close), so a later',
    'closing round had to; "decided round": over every live agent that finalized.', '')
  for (const factor of ['crash', 'partition', 'loss', 'skewMs', 'jitterMs', 'agents', 'timeoutMs'] as Factor[]) {
    out.push(`### By ${LEVEL_NAMES[factor]}`, '', ...livenessHeader(LEVEL_NAMES[factor]))
    for (const value of FACTORS[factor]) out.push(livenessRow(levelLabel(factor, value), agg.level(factor, value)))
    out.push('')
  }

  const weakest = cells.filter(c => c.stats.trials > 0).sort((a, b) => a.stats.share(HORIZONS.length) - b.stats.share(HORIZONS.length)).slice(0, 8)
  out.push('### Weakest cells', '',
    'The cells with the lowest share finalized by the end. A proposal that reached no live agent (the',
    'coordinator died before it spread) has nothing to decide on; a live agent the proposal reached',
    'that did not finalize would be a liveness failure of the closing rounds.', '',
    '| cell | N | crash | partition | loss | jitter | skew | timeout | held the proposal | finalized by the end | trials none final | ' +
      'of which reached none | round 0 undecided |',
    '|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const { cell, stats: s } of weakest) {
    out.push(tableRow([
      ...cellColumns(cell),
      pct(s.reached / Math.max(1, s.live)), pct(s.share(HORIZONS.length)), `${int(s.noneFinalized)} of ${int(s.trials)}`, int(s.unreachedTrials),
      int(s.round0Missed)
    ]))
  }
  out.push('')

  out.push('### Crash × partition at N = 20 (fully crossed): share finalized by the end (by d + 4Δ)', '')
  out.push(`| crash \\ partition | ${FACTORS.partition.join(' | ')} |`, `|---|${FACTORS.partition.map(() => '---:|').join('')}`)
  for (const crash of FACTORS.crash) {
    const row = FACTORS.partition.map(partition => {
      const entry = cells.find(c => c.cell.part === 'cross' && c.cell.crash === crash && c.cell.partition === partition && c.cell.agents === 20)
      if (entry === undefined || entry.stats.trials === 0) return '—'
      return `${pct(entry.stats.share(HORIZONS.length))} (${pct(entry.stats.share(HORIZONS.indexOf(4)))})`
    })
    out.push(`| ${crash} | ${row.join(' | ')} |`)
  }
  out.push('')

  out.push('## Time to decision', '', 'From the request, every live agent that finalized; in Δ, the proposal\'s step.', '',
    '| timeout | agents finalized | p50 | p90 | p99 | max | p50 in Δ | p99 in Δ | fast path |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const timeout of FACTORS.timeoutMs) {
    const s = agg.level('timeoutMs', timeout)
    out.push(tableRow([
      `${ms(timeout)} (Δ ${ms(defaultCloseStepMs(timeout))})`, int(s.times.length),
      ms(s.percentile(50)), ms(s.percentile(90)), ms(s.percentile(99)), ms(s.percentile(100)),
      deltas(percentile(s.deltas, 50)), deltas(percentile(s.deltas, 99)), pct(s.fast / Math.max(1, s.finalized))
    ]))
  }
  out.push('')

  out.push(...byzantine)

  out.push('## Adversarial corpus', '',
    '<!-- adversarial-corpus: this section is filled from docs/adversarial-corpus.md, produced by the',
    '     adversarial corpus generator (another tool). `npm run soak` copies that file here verbatim;',
    '     do not write it here. -->', '')
  if (corpus === undefined || corpus.trim() === '') {
    out.push('_Not generated yet: `docs/adversarial-corpus.md` does not exist. Once it does, `npm run soak` includes it here verbatim._')
  } else {
    out.push(corpus.trim())
  }
  out.push('<!-- adversarial-corpus: end -->', '')

  const crossProduct = Object.values(FACTORS).reduce((n, levels) => n * levels.length, 1).toLocaleString('en-US')
  out.push('## The matrix', '',
    `The full cross product of the factors has ${crossProduct} cells. The soak runs a covering`,
    'design instead (`scripts/soak/matrix.ts`):', '',
    '1. **crash × partition, fully crossed at N = 20** (cells `X01`–`X25`), the other factors assigned greedily;',
    '2. **pairwise covering** (cells `P…`): rows added greedily until every level of every factor appears',
    '   with every level of every other factor in at least one cell.', '',
    '| factor | levels |', '|---|---|')
  for (const factor of Object.keys(FACTORS) as Factor[]) out.push(`| ${LEVEL_NAMES[factor]} | ${FACTORS[factor].map(v => levelLabel(factor, v)).join(', ')} |`)
  const whole = (x: number): string => `${Math.round(100 * x)} %`
  out.push(tableRow([
    'fixed',
    `duplication ${whole(FIXED.duplicate)}, reordering ${whole(FIXED.reorder)} (held back ≤ ${FIXED.reorderMs} ms), ` +
      `${whole(FIXED.support)} of agents vote for (the rest against, abstain or stay silent, by seed), algorithm by seed: ${ALGORITHMS.join(', ')}`
  ]))
  out.push('',
    'Partitions: *one-peer* cuts one agent (never the coordinator) off; *minority* cuts ⌊(N−1)/2⌋',
    'agents off the coordinator\'s side; *majority* cuts ⌊N/2⌋+1 off, leaving the coordinator in the',
    'minority; *ring* lets each agent reach only its two neighbours on a seeded ring (nothing is',
    'relayed, so whatever spreads further goes hop by hop through pull sync). Crash points:',
    '*before-spread* — the proposal reaches a seeded ~30 % of peers, then the coordinator dies at 1 ms;',
    '*mid-vote* — at a seeded time before the deadline; *at-deadline* — within ±20 ms of it;',
    '*after-close-reached-one* — from its first close on, the coordinator is mute except for that close',
    'to one seeded peer, and dies once it is delivered.', '',
    `Seeds 0…${int(meta.seeds - 1)} run the cells in a fixed cycle of ${meta.cycle} ` +
      `(each cell appears in it ${Object.entries(meta.weights).map(([n, w]) => `${w}× for N = ${n}`).join(', ')}),`,
    'and each cell\'s seeds rotate through the algorithms. Any seed re-runs alone, printing its report,',
    'with `npx tsx scripts/soak/index.ts --seed <s>`.', '')

  out.push('## Per cell', '',
    'Safety columns must read 0. "closes det/ver": peers that raised conflicting-close evidence / peers',
    'that verified two closes. Finalized: share of live agents by d + 1Δ / 2Δ / 4Δ / 8Δ / the end.',
    'Pulled: votes delivered by pull sync per trial (new to the receiver).', '',
    '| cell | N | crash | partition | loss | jitter | skew | timeout | trials | disagr. | conflicting certs | closes det/ver | ' +
      'finalized +1Δ / 2Δ / 4Δ / 8Δ / end | none final | p50 | p99 | pulled/trial (new) |',
    '|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|')
  for (const { cell, stats: s } of cells) {
    const shares = [...HORIZONS.map((_, i) => s.share(i)), s.share(HORIZONS.length)].map(x => (100 * x).toFixed(0)).join(' / ')
    const pulled = `${(s.votesPulled / Math.max(1, s.trials)).toFixed(0)} (${(s.votesPulledNew / Math.max(1, s.trials)).toFixed(1)})`
    out.push(tableRow([
      ...cellColumns(cell),
      int(s.trials), s.disagreements, s.conflictingCertificates, `${s.twoClosesDetected}/${s.twoClosesVerified}`, `${shares} %`,
      pct(s.noneFinalized / Math.max(1, s.trials)), ms(s.percentile(50)), ms(s.percentile(99)), pulled
    ]))
  }
  out.push('')
  return out.join('\n')
}
