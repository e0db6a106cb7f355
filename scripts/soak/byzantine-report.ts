import { percentile } from './reliability.js'
import type { ByzantineCell, ByzantineReport } from './byzantine.js'

/** Figures of one Byzantine cell (or all of them), over its honest members. */
export class ByzantineStats {
  trials = 0
  live = 0
  finalized = 0
  disagreements = 0
  conflictingCertificates = 0
  /** trials where no live honest member finalized although the proposal reached one */
  noneFinal = 0
  /** trials where some live honest member the proposal reached did not finalize */
  notAllFinal = 0
  /** trials where the proposal reached no live honest member (reported apart) */
  unreached = 0
  /** trials where no live honest member decided in round 0 */
  round0Missed = 0
  /** trials where the staged fault happened as designed */
  staged = 0
  fast = 0
  closeEvidence = 0
  ackEvidence = 0
  rounds: number[] = []
  /** time to decision from the request, in Δ, per live honest member that finalized */
  deltas: number[] = []
  /** `EQ`: per split, trials and trials not all final */
  readonly splits = new Map<number, { trials: number, notAllFinal: number }>()
  /** seeds with a disagreement, conflicting certificates, or a live honest member that never finalized */
  badSeeds: number[] = []
  errorSeeds: number[] = []

  add (r: ByzantineReport): void {
    this.trials++
    this.live += r.live
    this.finalized += r.liveFinalized
    this.disagreements += r.disagreements
    this.conflictingCertificates += r.conflictingCertificates
    if (r.liveReached === 0) this.unreached++
    else if (r.liveFinalized === 0) this.noneFinal++
    const stuck = r.liveReached > 0 && r.liveFinalized < r.live
    if (stuck) this.notAllFinal++
    if (!r.decidedRounds.includes(0)) this.round0Missed++
    if (r.staged) this.staged++
    this.fast += r.fastDecisions
    this.closeEvidence += r.closeEvidence
    this.ackEvidence += r.ackEvidence
    this.rounds.push(...r.decidedRounds)
    for (const t of r.times) this.deltas.push(t / r.stepMs)
    if (r.split !== undefined) {
      const entry = this.splits.get(r.split) ?? { trials: 0, notAllFinal: 0 }
      entry.trials++
      if (stuck) entry.notAllFinal++
      this.splits.set(r.split, entry)
    }
    if (r.disagreements > 0 || r.conflictingCertificates > 0 || stuck) this.badSeeds.push(r.seed)
  }
}

/** Every Byzantine cell's figures, and their total. */
export class ByzantineAggregate {
  readonly total = new ByzantineStats()
  readonly byCell = new Map<string, { cell: ByzantineCell, stats: ByzantineStats }>()

  constructor (cells: ByzantineCell[]) {
    for (const cell of cells) this.byCell.set(cell.id, { cell, stats: new ByzantineStats() })
  }

  add (cell: ByzantineCell, report: ByzantineReport): void {
    this.total.add(report)
    this.byCell.get(cell.id)?.stats.add(report)
  }

  error (cell: ByzantineCell, seed: number): void {
    this.total.errorSeeds.push(seed)
    this.byCell.get(cell.id)?.stats.errorSeeds.push(seed)
  }
}

const KIND_TEXT: Record<ByzantineCell['kind'], string> = {
  EQ: '**EQ — equivocating coordinator.** The coordinator (Byzantine) signs two valid round-0 closes and shows each to one part ' +
    'of the honest electorate, at every split 1…N−1 of its N honest members (the split rotates with the seed), then stays silent or ' +
    'crashes (by seed). `a`: an `approved` close over all the votes, sent once they are in, and a `timeout` over a subset too small ' +
    'to settle, sent at the deadline; `v`: two `approved` closes at once over different vote sets (all votes; all but one honest voter\'s).',
  ACK: '**ACK — conflicting acks.** f members (the most weight-1 members below 1/3 of the weight; one fewer when the coordinator ' +
    'dies too, so that the honest running weight stays above 2/3) never answer pulls and, in every round as soon as an honest ack ' +
    'or a new close of it is sent, prevote and precommit to each honest peer a value drawn for that peer (any outcome seen, or nil). ' +
    'The coordinator is alive, crashed before closing (`c`), or its close reached one peer before it died (`o`).',
  FB: '**FB — two fallbacks close at once.** The coordinator dies (at a seeded time before the deadline) without closing; the closer ' +
    'of round 2 runs ahead of the closer of round 1 by the time between the two rounds\' starts (give or take one message delay late or ' +
    'Δ/4 early), so its round-2 close and the round-1 close cross.',
  ONE: '**ONE — a close that reached one peer.** The closer\'s first close reaches one seeded peer only (it says nothing else), then ' +
    'it dies: the coordinator in round 0, or (`r`) the closer of round 1 once the coordinator died before closing.'
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`
const int = (x: number): string => x.toLocaleString('en-US')
const inDelta = (x: number | undefined): string => x === undefined ? '—' : `${x.toFixed(2)} Δ`
const rowOf = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`

/** The Byzantine section of docs/RELIABILITY.md. */
export function renderByzantine (agg: ByzantineAggregate): string[] {
  const t = agg.total
  const out: string[] = ['## Byzantine cells', '',
    `${int(t.trials)} seeded trials (\`scripts/soak/byzantine.ts\`), each one proposal on a \`SimulatedSwarm\` in virtual time where`,
    'some members act Byzantine: their own managers are muted (only their votes leave), and the trial signs and sends for them',
    'with the real code (`test/helpers/byzantine.ts`), a different message to each honest peer. Every member has weight 1; loss',
    '(0 or 10 %, retried), latency jitter (0, 200 ms or 1 s), 20 % duplication and reordering, timeout 2 s or 10 s and skew',
    '(0 or ±500 ms) are drawn from the seed, and the algorithm rotates (EQ: quorum). In every cell the honest running',
    'members carry more than 2/3 of the weight and stay connected, so every one of them must finalize: **not all final**',
    'counts trials where one did not (must be 0, as must disagreements and conflicting certificates), over honest members only.',
    'Trials where the proposal reached no honest running member are counted apart. Time to decision is from the request,',
    'in Δ (the proposal\'s step).', '']
  for (const kind of Object.keys(KIND_TEXT) as Array<ByzantineCell['kind']>) out.push(`- ${KIND_TEXT[kind]}`)
  out.push('',
    '| cell | N | Byzantine | trials | staged | disagr. | conflicting certs | none final | not all final | reached none | ' +
      'round 0 undecided | decided round p50 / max | fast path | time p50 | time p99 | evidence close / ack |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const { cell, stats: s } of agg.byCell.values()) {
    if (s.trials === 0) continue
    out.push(rowOf([
      cell.id, cell.agents, cell.byzantine, int(s.trials), pct(s.staged / s.trials), s.disagreements, s.conflictingCertificates,
      s.noneFinal, s.notAllFinal, s.unreached, pct(s.round0Missed / s.trials),
      s.rounds.length === 0 ? '—' : `${percentile(s.rounds, 50) ?? 0} / ${percentile(s.rounds, 100) ?? 0}`,
      pct(s.fast / Math.max(1, s.finalized)), inDelta(percentile(s.deltas, 50)), inDelta(percentile(s.deltas, 99)),
      `${int(s.closeEvidence)} / ${int(s.ackEvidence)}`
    ]))
  }
  out.push('', '"staged": trials where the fault happened as designed (FB: the predicted closers were the proposal\'s and rounds 1',
    'and 2 both got a close; elsewhere always). "evidence": conflicting-close / conflicting-ack events raised by honest members.', '')
  out.push('### Equivocating coordinator: every split', '',
    'Trials per split k (honest members shown the first close) and, after the slash, trials where an honest running member did not finalize.', '')
  const eq = [...agg.byCell.values()].filter(e => e.cell.kind === 'EQ' && e.stats.trials > 0)
  const most = Math.max(0, ...eq.map(e => e.cell.agents - 2))
  out.push(`| cell | ${Array.from({ length: most }, (_, i) => `k = ${i + 1}`).join(' | ')} |`, `|---|${'---:|'.repeat(most)}`)
  for (const { cell, stats: s } of eq) {
    out.push(rowOf([cell.id, ...Array.from({ length: most }, (_, i) => {
      const entry = s.splits.get(i + 1)
      return entry === undefined ? '—' : `${entry.trials} / ${entry.notAllFinal}`
    })]))
  }
  out.push('')
  if (t.badSeeds.length > 0 || t.errorSeeds.length > 0) {
    out.push(`**⚠ Byzantine seeds that broke safety or liveness:** ${t.badSeeds.slice(0, 50).join(', ') || 'none'}; ` +
      `threw: ${t.errorSeeds.slice(0, 50).join(', ') || 'none'}. Re-run one with \`npx tsx scripts/soak/index.ts --byzantine-seed <s>\`.`, '')
  }
  return out
}
