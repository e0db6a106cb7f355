/**
 * The ballot cells of the soak: seeded trials in virtual time on a `SimulatedSwarm`, one proposal over
 * four choices of each voting type, with and without vote changes. Every member votes a seeded valid
 * ballot (or abstains, or stays silent); on proposals that allow it, a seeded third of the voters
 * change their ballot (once or twice) at seeded times before the deadline. Loss, jitter, skew,
 * duplication, reordering and the timeout are drawn as in the fault matrix; the coordinator may die
 * mid-vote. Every member stays connected and more than 2/3 of the weight keeps running, so every live
 * member the proposal reached must finalize, all on one outcome, one certificate and one winner.
 */
import { defaultCloseStepMs } from '../../src/core/constants.js'
import { verifyCertificate } from '../../src/core/certificate.js'
import { SeededRandom } from '../../src/testing/random.js'
import { SimulatedSwarm } from '../../src/testing/swarm.js'
import type { Ballot, VotingType } from '../../src/types.js'
import { FACTORS, FIXED } from './matrix.js'
import { percentile } from './reliability.js'
import { shuffle } from './trial.js'

/** One ballot cell. */
export interface BallotCell {
  /** short stable name, e.g. `RC4c` (ranked-choice, 4 choices, vote changes) */
  id: string
  votingType: VotingType
  /** whether the proposal allows vote changes (and voters make them) */
  voteChange: boolean
  choices: number
}

const SHORT: Record<VotingType, string> = {
  'single-choice': 'SC', approval: 'AP', 'ranked-choice': 'RC', weighted: 'WT', quadratic: 'QD', copeland: 'CP'
}

/** The ballot cells, in a fixed order: every voting type over 4 choices, with (`c`) and without (`f`) vote changes. */
export function ballotCells (): BallotCell[] {
  const cells: BallotCell[] = []
  for (const votingType of Object.keys(SHORT) as VotingType[]) {
    for (const voteChange of [true, false]) cells.push({ id: `${SHORT[votingType]}4${voteChange ? 'c' : 'f'}`, votingType, voteChange, choices: 4 })
  }
  return cells
}

/** One seeded ballot trial: cell `seed mod cells`; the faults come from the seed. */
export interface BallotOptions {
  seed: number
  cell: BallotCell
  agents: number
  loss: number
  jitterMs: number
  skewMs: number
  timeoutMs: number
  /** the coordinator dies at a seeded time before the deadline (where the others keep more than 2/3 of the weight) */
  crashMidVote: boolean
  /** members weigh 1 each, or a seeded 1…4 */
  weighted: boolean
  /** the winning rule beyond the voting type: none, a turnout quorum of 1/2, a threshold of 0.3 (copeland: the quorum), or no tie-break */
  rule: 'none' | 'quorum' | 'threshold' | 'no-tie-break'
}

/** The trial a ballot seed runs. */
export function ballotTrial (seed: number, cells: BallotCell[] = ballotCells()): BallotOptions {
  const random = new SeededRandom(seed * 7919 + 5)
  return {
    seed,
    cell: cells[seed % cells.length] as BallotCell,
    agents: random.pick([4, 7, 10]),
    loss: random.pick(FACTORS.loss),
    jitterMs: random.pick([0, 200]),
    skewMs: random.pick([0, 500]),
    timeoutMs: random.pick(FACTORS.timeoutMs),
    crashMidVote: random.chance(0.25),
    weighted: random.chance(0.5),
    rule: random.pick(['none', 'none', 'quorum', 'threshold', 'no-tie-break'] as const)
  }
}

/** What a ballot trial measured. */
export interface BallotReport {
  seed: number
  cellId: string
  live: number
  liveReached: number
  liveFinalized: number
  /** distinct decisions among finalized members minus one: must be 0 */
  disagreements: number
  /** distinct certificates among finalized members minus one: must be 0 */
  conflictingCertificates: number
  /** distinct winners among finalized members minus one: must be 0 */
  winnerDisagreements: number
  /** whether the certificate verifies to the decision and winner its holders report (true when nobody finalized) */
  certificateAgrees: boolean
  decision: string | undefined
  winner: number | null | undefined
  /** vote changes the voters made (`recordVote` again, accepted locally) */
  changesMade: number
  /** counted voters whose counted ballot was a change (sequence number above 0), read from the certificate */
  changesCounted: number
  /** Δ of the proposal, ms */
  stepMs: number
  /** virtual ms from the request to each live member's decision */
  times: number[]
}

/** A seeded valid ballot of `type` over `n` choices. */
export function randomBallot (type: VotingType, n: number, random: SeededRandom): Ballot {
  const all = Array.from({ length: n }, (_, i) => i + 1)
  switch (type) {
    case 'single-choice': return random.int(1, n)
    case 'approval': return shuffle(all, random).slice(0, random.int(0, n)).sort((a, b) => a - b)
    case 'ranked-choice':
    case 'copeland': return shuffle(all, random)
    default: {
      // shares of up to 6 decimals, some zero, at least one positive
      const shares: Record<string, number> = {}
      for (const c of shuffle(all, random).slice(0, random.int(1, n))) shares[String(c)] = random.pick([0, 0.5, 1, 1, 2, 3, 0.125, 7.25])
      if (!Object.values(shares).some(s => s > 0)) shares[String(random.int(1, n))] = 1
      return shares
    }
  }
}

/** The request options of a trial's winning rule. */
function ruleOptions (rule: BallotOptions['rule'], votingType: VotingType): { quorum?: number, threshold?: number, tieBreak?: 'none' } {
  if (rule === 'quorum' || (rule === 'threshold' && votingType === 'copeland')) return { quorum: 0.5 }
  if (rule === 'threshold') return { threshold: 0.3 }
  return rule === 'no-tie-break' ? { tieBreak: 'none' } : {}
}

/** Run one seeded ballot trial. */
export async function runBallotTrial (options: BallotOptions): Promise<BallotReport> {
  const { cell, agents, timeoutMs } = options
  const random = new SeededRandom(options.seed * 104723 + 17)
  const ballots: Array<Ballot | undefined> = Array.from({ length: agents }, () => {
    const r = random.next()
    if (r < 0.1) return undefined
    if (r < 0.2) return 'abstain'
    return randomBallot(cell.votingType, cell.choices, random)
  })
  const swarm = await SimulatedSwarm.create({
    agents,
    seed: options.seed,
    loss: options.loss,
    latencyMs: [0, options.jitterMs],
    duplicate: FIXED.duplicate,
    reorder: FIXED.reorder,
    reorderMs: FIXED.reorderMs,
    skewMs: options.skewMs,
    vote: (index) => ballots[index]
  })
  const ids = swarm.agents.map(a => a.identity.peerId)
  const start = swarm.clock.now()
  const reached = new Set<number>()
  const decidedAt = new Map<number, number>()
  let proposalKey: string | undefined
  for (const agent of swarm.agents) {
    agent.manager.addEventListener('proposal', (evt) => {
      reached.add(agent.index)
      proposalKey = evt.detail.id
    })
    agent.manager.addEventListener('decision', () => { if (!decidedAt.has(agent.index)) decidedAt.set(agent.index, swarm.clock.now()) })
  }

  // vote changes: a seeded third of the voters, once or twice each, at seeded times before the deadline
  let changesMade = 0
  if (cell.voteChange) {
    for (const [index, ballot] of ballots.entries()) {
      if (ballot === undefined || !random.chance(1 / 3)) continue
      const times = Array.from({ length: random.int(1, 2) }, () => random.int(1, timeoutMs - 1)).sort((a, b) => a - b)
      for (const at of times) {
        const next = random.chance(0.1) ? 'abstain' : randomBallot(cell.votingType, cell.choices, random)
        swarm.clock.setTimeout(async () => {
          const agent = swarm.agent(index)
          if (agent.crashed || proposalKey === undefined || !reached.has(index)) return
          try {
            await agent.manager.recordVote(proposalKey, next)
            changesMade++
          } catch {
            // its first vote is not cast yet (the voter answers on arrival), or the proposal closed: no change
          }
        }, at)
      }
    }
  }
  const weightOf = ids.map(() => options.weighted ? random.int(1, 4) : 1)
  const weights = options.weighted ? Object.fromEntries(ids.map((id, i) => [id, weightOf[i] as number])) : undefined
  const total = weightOf.reduce((a, b) => a + b, 0)
  // the coordinator dies only where the rest keeps more than 2/3 of the weight (else no member need finalize)
  const crashes = options.crashMidVote && 3 * (total - (weightOf[0] as number)) > 2 * total
  if (crashes) swarm.clock.setTimeout(async () => swarm.crash(0), random.int(1, timeoutMs - 1))
  let requestError: unknown
  void swarm.agent(0).manager.requestConsensus({ trial: options.seed }, {
    timeoutMs,
    participants: ids,
    choices: Array.from({ length: cell.choices }, (_, i) => `option ${i + 1}`),
    votingType: cell.votingType,
    allowVoteChange: cell.voteChange,
    weights,
    ...ruleOptions(options.rule, cell.votingType)
  }).catch((err) => { requestError = err })
  await swarm.settle()
  await swarm.stop()
  // a request refused outright is the trial's mistake, not a proposal that reached nobody
  if (reached.size === 0 && requestError !== undefined) throw requestError

  const finalized = swarm.agents.filter(a => a.decisions.size > 0)
  const results = finalized.map(a => [...a.decisions.values()][0] as NonNullable<ReturnType<typeof a.decisions.get>>)
  const decisions = new Set(results.map(r => r.decision))
  const certificates = new Set(results.map(r => r.certificate?.id))
  const winners = new Set(results.map(r => r.winner ?? null))
  let certificateAgrees = true
  let changesCounted = 0
  const first = results[0]
  if (first !== undefined) {
    try {
      const verified = await verifyCertificate(first.certificate as NonNullable<typeof first.certificate>)
      certificateAgrees = verified.decision === first.decision && (verified.winner === 0 ? null : verified.winner) === (first.winner ?? null)
      changesCounted = Object.values(verified.seqs).filter(seq => seq > 0).length
    } catch {
      certificateAgrees = false
    }
  }
  const live = swarm.agents.filter(a => !a.crashed)
  return {
    seed: options.seed,
    cellId: cell.id,
    live: live.length,
    liveReached: live.filter(a => reached.has(a.index)).length,
    liveFinalized: live.filter(a => a.decisions.size > 0).length,
    disagreements: Math.max(0, decisions.size - 1),
    conflictingCertificates: Math.max(0, certificates.size - 1),
    winnerDisagreements: Math.max(0, winners.size - 1),
    certificateAgrees,
    decision: decisions.size === 1 ? [...decisions][0] : undefined,
    winner: winners.size === 1 ? [...winners][0] : undefined,
    changesMade,
    changesCounted,
    stepMs: defaultCloseStepMs(timeoutMs),
    times: live.map(a => decidedAt.get(a.index)).filter((t): t is number => t !== undefined).map(t => t - start)
  }
}

/** Figures of one ballot cell (or all of them). */
export class BallotStats {
  trials = 0
  live = 0
  finalized = 0
  disagreements = 0
  conflictingCertificates = 0
  winnerDisagreements = 0
  /** trials whose certificate did not verify to the decision and winner its holders report */
  certificateDisagrees = 0
  /** trials where no live member finalized although the proposal reached one */
  noneFinal = 0
  /** trials where some live member did not finalize although the proposal reached one */
  notAllFinal = 0
  unreached = 0
  /** trials by decision */
  readonly decisions = new Map<string, number>()
  changesMade = 0
  changesCounted = 0
  /** time to decision from the request, in Δ, per live member that finalized */
  deltas: number[] = []
  badSeeds: number[] = []
  errorSeeds: number[] = []

  add (r: BallotReport): void {
    this.trials++
    this.live += r.live
    this.finalized += r.liveFinalized
    this.disagreements += r.disagreements
    this.conflictingCertificates += r.conflictingCertificates
    this.winnerDisagreements += r.winnerDisagreements
    if (!r.certificateAgrees) this.certificateDisagrees++
    if (r.liveReached === 0) this.unreached++
    else if (r.liveFinalized === 0) this.noneFinal++
    const stuck = r.liveReached > 0 && r.liveFinalized < r.live
    if (stuck) this.notAllFinal++
    const decision = r.decision ?? 'none'
    this.decisions.set(decision, (this.decisions.get(decision) ?? 0) + 1)
    this.changesMade += r.changesMade
    this.changesCounted += r.changesCounted
    for (const t of r.times) this.deltas.push(t / r.stepMs)
    if (ballotViolation(r)) this.badSeeds.push(r.seed)
  }
}

/** Whether a ballot trial broke a property the cells assert (safety, one winner, the certificate, or every reached live member final). */
export function ballotViolation (r: BallotReport): boolean {
  return r.disagreements > 0 || r.conflictingCertificates > 0 || r.winnerDisagreements > 0 || !r.certificateAgrees ||
    (r.liveReached > 0 && r.liveFinalized < r.live)
}

/** Every ballot cell's figures, and their total. */
export class BallotAggregate {
  readonly total = new BallotStats()
  readonly byCell = new Map<string, { cell: BallotCell, stats: BallotStats }>()

  constructor (cells: BallotCell[]) {
    for (const cell of cells) this.byCell.set(cell.id, { cell, stats: new BallotStats() })
  }

  add (cell: BallotCell, report: BallotReport): void {
    this.total.add(report)
    this.byCell.get(cell.id)?.stats.add(report)
  }

  error (cell: BallotCell, seed: number): void {
    this.total.errorSeeds.push(seed)
    this.byCell.get(cell.id)?.stats.errorSeeds.push(seed)
  }
}

const int = (x: number): string => x.toLocaleString('en-US')
const inDelta = (x: number | undefined): string => x === undefined ? '—' : `${x.toFixed(2)} Δ`

/** The ballot cells' section of docs/RELIABILITY.md; `command` is how the figures were made. */
export function renderBallots (agg: BallotAggregate, command: string): string[] {
  const t = agg.total
  const out: string[] = ['## Ballot cells', '',
    `${int(t.trials)} seeded trials (\`${command}\`, \`scripts/soak/ballots.ts\`), each one proposal over 4 choices on a`,
    '`SimulatedSwarm` in virtual time, of each voting type with (`c`) and without (`f`) vote changes. N (4, 7 or 10), loss',
    '(0, 10 or 30 %, retried), jitter (0 or 200 ms), skew (0 or ±500 ms), timeout (2 s or 10 s), weights (all 1, or 1…4) and',
    'whether the coordinator dies mid-vote (a quarter of the trials, where the rest keeps more than 2/3 of the weight) are drawn',
    'from the seed, and so is the rule: none, a turnout quorum of 1/2, a threshold of 0.3 (copeland: the quorum) or no tie-break;',
    '20 % duplication and reordering. Each member votes a seeded valid ballot (10 % abstain, 10 % silent); in `c`',
    'cells a third of the voters change their ballot once or twice at seeded times before the deadline. Asserted in every trial:',
    'no disagreement, one certificate, **one winner** on every member that finalized, the certificate verifies to that decision',
    'and winner, and every live member the proposal reached finalizes (**not all final** must be 0). "changes counted": voters',
    'whose counted ballot (in the certificate) was a change, of the changes made.', '',
    '| cell | trials | disagr. | conflicting certs | winner disagr. | cert ≠ result | none final | not all final | reached none | ' +
      'approved / rejected / timeout | changes counted / made | time p50 | time p99 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
  const row = (id: string, s: BallotStats): string => `| ${[
    id, int(s.trials), s.disagreements, s.conflictingCertificates, s.winnerDisagreements, s.certificateDisagrees, s.noneFinal, s.notAllFinal,
    s.unreached, ['approved', 'rejected', 'timeout'].map(d => int(s.decisions.get(d) ?? 0)).join(' / '),
    `${int(s.changesCounted)} / ${int(s.changesMade)}`, inDelta(percentile(s.deltas, 50)), inDelta(percentile(s.deltas, 99))
  ].join(' | ')} |`
  for (const { cell, stats } of agg.byCell.values()) if (stats.trials > 0) out.push(row(cell.id, stats))
  out.push(row('**all**', t), '')
  if (t.badSeeds.length > 0 || t.errorSeeds.length > 0) {
    out.push(`**⚠ Ballot seeds that broke a property:** ${t.badSeeds.slice(0, 50).join(', ') || 'none'}; ` +
      `threw: ${t.errorSeeds.slice(0, 50).join(', ') || 'none'}. Re-run one with \`npx tsx scripts/soak/index.ts --ballot-seed <s>\`.`, '')
  }
  return out
}
