/**
 * Section 3 of `npm run bench`: the tally. One more vote into an open proposal that already holds
 * 10⁴ votes must cost what the first vote cost (incremental, O(1)), not a recount. Measured on the
 * core's own `ProposalState` — `addVote` (dedup, equivocation check, running tally) and then `evaluate`
 * (what the coordinator runs after every vote to see whether it can close) — without signatures:
 * the votes are opened in memory, so this is the tally alone. Runs alone too: `npx tsx bench/tally.ts`.
 */
import { performance } from 'node:perf_hooks'
import { quorum } from '../src/algorithms/index.js'
import { ProposalState } from '../src/core/proposal-state.js'
import { PROTOCOL_VERSION, type VoteBody } from '../src/wire/messages.js'
import { contentId, idToString } from '../src/wire/ids.js'
import { VoteType } from '../src/types.js'
import { exitSoon, isMain, log, n0, times } from './util.js'
import type { ProposalContext } from '../src/core/context.js'
import type { OpenedProposal, OpenedVote } from '../src/wire/envelope.js'

/** What section 3 reports. */
export interface TallyReport {
  /** votes already counted before the measured ones */
  held: number
  /** votes added while measuring, at each level */
  measured: number
  /** votes/s for the first `measured` votes into an empty proposal */
  emptyVotesPerSecond: number
  /** votes/s for `measured` more votes into a proposal holding `held` */
  fullVotesPerSecond: number
  /** ns per vote at `held` ÷ ns per vote when empty: ≈ 1 for O(1) */
  growth: number
  /** the same at 10× `held` */
  growthAtTenTimes: number
  goalVotesPerSecond: number
  met: boolean
}

const utf8 = new TextEncoder()

function context (members: number): { ctx: ProposalContext, voters: string[] } {
  const voters = Array.from({ length: members }, (_, i) => `voter-${String(i).padStart(7, '0')}`)
  const electorate = new Map(voters.map(v => [v, 1]))
  const body = {
    type: 'proposal',
    v: PROTOCOL_VERSION,
    ns: 'bench',
    coordinator: voters[0] as string,
    seq: 0,
    createdAt: 0,
    deadline: 1,
    step: 1,
    electorate: voters.map(v => [v, 1] as [string, number]),
    algorithm: { name: 'quorum', kind: 'quorum', params: quorum().params },
    closers: [voters[0] as string],
    payload: {},
    choices: [],
    voteChange: false
  } as const
  const id = contentId(utf8.encode('bench proposal'))
  const proposal = { body, id, key: idToString(id), bytes: new Uint8Array(0) } as unknown as OpenedProposal
  return { ctx: { proposal, electorate, totalWeight: members, algorithm: quorum({ threshold: 0.999 }) }, voters }
}

/** Votes opened in memory (no signature): what `addVote` receives after verification. */
function votes (ctx: ProposalContext, voters: string[]): OpenedVote[] {
  return voters.map((voter, i) => {
    const body: VoteBody = {
      type: 'vote',
      v: PROTOCOL_VERSION,
      ns: 'bench',
      proposal: ctx.proposal.id,
      voter,
      seq: 0,
      choice: i % 3 === 0 ? VoteType.Against : VoteType.For,
      metadata: {}
    }
    const id = contentId(utf8.encode(`vote ${i}`))
    return { body, id, key: idToString(id), bytes: new Uint8Array(0) }
  })
}

/** ns per vote over `list`, best of `repeats` fresh rounds each pre-filled with `prefill`. */
function nsPerVote (ctx: ProposalContext, prefill: OpenedVote[], list: OpenedVote[], repeats: number): number {
  let best = Infinity
  for (let r = 0; r < repeats; r++) {
    const round = new ProposalState(ctx)
    for (const vote of prefill) round.addVote(vote)
    const start = performance.now()
    for (const vote of list) {
      if (round.addVote(vote) !== 'counted') throw new Error('a benchmark vote was not counted')
      round.evaluate()
    }
    best = Math.min(best, (performance.now() - start) * 1e6 / list.length)
  }
  return best
}

/** Section 3. */
export async function runTally (held = 10_000, measured = 10_000): Promise<TallyReport> {
  const total = 10 * held + measured
  const { ctx, voters } = context(total)
  const all = votes(ctx, voters)
  const fresh = all.slice(0, measured)
  const prefill = all.slice(measured, measured + held)
  const prefillTen = all.slice(measured, measured + 10 * held)
  // warm the JIT on the same code path first
  nsPerVote(ctx, [], fresh, 3)
  const empty = nsPerVote(ctx, [], fresh, 5)
  const full = nsPerVote(ctx, prefill, fresh, 5)
  const tenfold = nsPerVote(ctx, prefillTen, fresh, 3)
  const report: TallyReport = {
    held,
    measured,
    emptyVotesPerSecond: Math.round(1e9 / empty),
    fullVotesPerSecond: Math.round(1e9 / full),
    growth: Math.round(full / empty * 100) / 100,
    growthAtTenTimes: Math.round(tenfold / empty * 100) / 100,
    goalVotesPerSecond: 1_000_000,
    met: 1e9 / full >= 1_000_000
  }
  log(`tally: ${n0(report.fullVotesPerSecond)} votes/s into a proposal holding ${n0(held)} votes (empty: ${n0(report.emptyVotesPerSecond)}/s; ` +
    `cost per vote ${times(report.growth)} the empty one, ${times(report.growthAtTenTimes)} at ${n0(10 * held)} votes)`)
  return report
}

if (isMain(import.meta.url)) {
  runTally().then(r => { console.log(JSON.stringify(r, null, 2)); exitSoon() }, (err) => { console.error(err); process.exitCode = 1 })
}
