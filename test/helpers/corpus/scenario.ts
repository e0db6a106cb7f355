/**
 * What a corpus scenario is: classes of inputs, each with the verdict every honest agent must give
 * it, and the proposals the honest members decide afterwards ({@link concludeScenario}).
 */
import { finish, HONEST, type Harness, type Open } from './harness.js'
import type { ConsensusResult } from '../../../src/core/results.js'
import type { AcceptReason, IgnoreReason, RejectReason, Verdict } from '../../../src/transport/coordinator.js'
import type { Ballot, ConsensusDecision } from '../../../src/types.js'
import type { Bytes } from '../cbor.js'

/**
 * One class of inputs and the verdict every one of them must get on every honest agent.
 * `attack` classes are what the corpus measures (never counted); `control` classes are valid or
 * boundary inputs fed in order with them (a member's real vote, the size limit exactly), showing the
 * harness accepts what it should: they are checked for their verdict, not for being uncounted.
 */
export interface CorpusClass {
  /** short id, e.g. `forged-signature` */
  name: string
  /** human title for tables */
  title: string
  description: string
  inputs: Bytes[]
  /** one per input, for failure messages */
  labels?: string[]
  expected: Verdict
  role: 'attack' | 'control'
  /** agents to feed (default: the scenario's honest agents) */
  targets?: number[]
  /** each input is fed this many times over (default 1): re-sent, still the same verdict */
  passes?: number
  /** messages accepted earlier (controls) that this class must get excluded from every count (an equivocator's first votes) */
  alsoUncounted?: Bytes[]
}

/** The decision the honest votes alone produce: what every honest agent must end with. */
export interface ExpectedOutcome {
  decision: ConsensusDecision
  /** agent indexes of the counted voters */
  voters: number[]
  votesFor: number
  votesAgainst: number
  /** proposals with choices: the winning choice (1-based), or `null` for none */
  winner?: number | null
}

/** One round of honest votes; optionally advance time and require that nobody decided yet. */
export interface VoteStep {
  /** [agent, its ballot]: an agent listed again on a proposal allowing vote changes changes its vote */
  votes: Array<[number, Ballot]>
  advanceMs?: number
  /** after the step (and `advanceMs`), none of the conclusion's agents may have decided */
  undecided?: boolean
}

export interface Conclusion {
  label: string
  open: Open
  /** the agents that must decide (and agree) */
  agents: number[]
  steps: VoteStep[]
  expected: ExpectedOutcome
}

export interface Scenario {
  name: string
  h: Harness
  /** agents whose handleMessage gets every input */
  honest: number[]
  /** in the order they are fed */
  classes: CorpusClass[]
  /** proposals to decide afterwards, in order */
  conclusions: Conclusion[]
}

/** A class of a scenario by name (throws if absent). */
export function classOf (s: Scenario, name: string): CorpusClass {
  const c = s.classes.find(x => x.name === name)
  if (c === undefined) throw new Error(`scenario ${s.name} has no class ${name}`)
  return c
}

/** The verdict `reject` with its reason. */
export const reject = (reason: RejectReason): Verdict => ({ result: 'reject', reason })
/** The verdict `ignore` with its reason. */
export const ignore = (reason: IgnoreReason): Verdict => ({ result: 'ignore', reason })
/** The verdict `accept` with its reason. */
export const accept = (reason: AcceptReason): Verdict => ({ result: 'accept', reason })

/** The usual ending: honest members 0, 1 and 2 vote for, and the proposal is approved by exactly them. */
export function honestApproval (open: Open): Conclusion {
  return {
    label: 'the proposal',
    open,
    agents: HONEST,
    steps: [{ votes: [[0, 'for'], [1, 'for'], [2, 'for']] }],
    expected: { decision: 'approved', voters: [0, 1, 2], votesFor: 3, votesAgainst: 0 }
  }
}

export interface Concluded {
  conclusion: Conclusion
  /** the requester's result */
  result: ConsensusResult
  /** every step marked `undecided` found nobody decided */
  undecidedHeld: boolean
}

/** Cast each conclusion's honest votes in order and run until its agents decided. */
export async function concludeScenario (s: Scenario): Promise<Concluded[]> {
  const out: Concluded[] = []
  for (const conclusion of s.conclusions) {
    let undecidedHeld = true
    for (const step of conclusion.steps) {
      for (const [i, choice] of step.votes) await s.h.swarm.agent(i).manager.recordVote(conclusion.open.key, choice)
      if (step.advanceMs !== undefined) await s.h.swarm.clock.advance(step.advanceMs)
      if (step.undecided === true && conclusion.agents.some(i => s.h.swarm.agent(i).decisions.has(conclusion.open.key))) undecidedHeld = false
    }
    out.push({ conclusion, result: await finish(s.h, conclusion.open, conclusion.agents), undecidedHeld })
  }
  return out
}
