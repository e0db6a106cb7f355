/**
 * The Byzantine member's menu. It is not a ConsensusManager: it is code that reads the packets
 * addressed to it and signs what it likes with the real signing code (votes with `sealMessage`,
 * closes with `forgeClose`, acks with `forgeAck`), so every message it sends is exactly as valid as
 * an honest peer's. Each strategy takes a split: the set of honest members that get one version of
 * what it equivocates on (the rest get the other), so the explorer can try every split.
 */
import { defaultAlgorithms } from '../../src/algorithms/index.js'
import { checkProposal } from '../../src/core/context.js'
import { ProposalState } from '../../src/core/proposal-state.js'
import { roundStart } from '../../src/core/round-clock.js'
import { openMessage, sealMessage, type AnyOpened, type OpenedClose, type OpenedProposal, type OpenedVote } from '../../src/wire/envelope.js'
import { AckPhase, PROTOCOL_VERSION } from '../../src/wire/messages.js'
import { forgeAck, forgeClose, outcomeOf } from '../helpers/byzantine.js'
import type { ExploreClock, ExploreNetwork } from './world.js'
import type { Ballot, VoteType } from '../../src/types.js'
import type { Identity } from '../../src/wire/identity.js'

/** Who signs the proposal: an honest member (member 0) or the Byzantine member. */
export type CoordinatorRole = 'honest' | 'byzantine'

/** What a scripted Byzantine member sees of the run. */
export interface ByzantineContext {
  identity: Identity
  proposal: OpenedProposal
  /** honest members, in index order */
  honest: readonly string[]
  /** the honest members that get version A of whatever it equivocates on */
  split: ReadonlySet<string>
  clock: ExploreClock
  network: ExploreNetwork
}

/** A scripted Byzantine member: told of every packet delivered to it. */
export interface Byzantine {
  receive(bytes: Uint8Array, from: string): Promise<void>
}

/** One entry of the menu. */
export interface Strategy {
  name: string
  /** one line on what it does */
  summary: string
  coordinator: CoordinatorRole
  /** the splits it is explored at, as bit masks over the honest members (bit i: honest member i gets version A) */
  splits: readonly number[]
  /**
   * `scripted`: {@link start} builds the code; `late`: the member is a real ConsensusManager whose
   * every message (its proposal aside, when it coordinates) waits until round 1 starts.
   */
  kind: 'scripted' | 'late'
  /**
   * `ballot`: the proposal is a single-choice ballot over two choices that allows vote changes, and the
   * honest members cast {@link HONEST_BALLOTS}; otherwise a binary quorum and {@link HONEST_VOTES}.
   */
  proposal?: 'binary' | 'ballot'
  /** Build the scripted member; it may send at once (its proposal has just gone out) and set timers. */
  start?(ctx: ByzantineContext): Promise<Byzantine>
}

const kinds = new Map(Object.values(defaultAlgorithms()).map(a => [a.kind, a]))
const EVERY_SPLIT = [0, 1, 2, 3, 4, 5, 6, 7]
const PROPER_SPLITS = [1, 2, 3, 4, 5, 6]

/** How the honest members vote: the Byzantine vote tips the quorum (3 of 4 approves, 2 of 4 rejects). */
export const HONEST_VOTES: readonly VoteType[] = ['for', 'for', 'against']

/** How the honest members vote on a ballot: 1, 2, 2 — the Byzantine ballot tips it (2 ties 2-2: choice 1 by tie-break; else 2 wins 3-1). */
export const HONEST_BALLOTS: readonly number[] = [1, 2, 2]

function sendTo (ctx: ByzantineContext, to: Iterable<string>, message: AnyOpened): void {
  for (const peer of to) ctx.network.post(ctx.identity.peerId, peer, message.bytes)
}

function groups (ctx: ByzantineContext): { a: string[], b: string[] } {
  return { a: ctx.honest.filter(h => ctx.split.has(h)), b: ctx.honest.filter(h => !ctx.split.has(h)) }
}

async function vote (ctx: ByzantineContext, choice: Ballot, seq = 0): Promise<OpenedVote> {
  return sealMessage(ctx.identity, {
    type: 'vote', v: PROTOCOL_VERSION, ns: ctx.proposal.body.ns, proposal: ctx.proposal.id, voter: ctx.identity.peerId, seq, choice, metadata: {}
  })
}

/** What the Byzantine member counts of the votes that reach it (its own view, with the real tally code). */
function tallyOf (ctx: ByzantineContext): ProposalState {
  const proposalCtx = checkProposal(ctx.proposal, kind => kinds.get(kind))
  if (proposalCtx === undefined) throw new Error('explore: the proposal uses an unknown algorithm kind')
  return new ProposalState(proposalCtx)
}

async function opened (bytes: Uint8Array): Promise<AnyOpened | undefined> {
  try {
    return await openMessage(bytes)
  } catch {
    return undefined
  }
}

/** Counts the votes delivered to it; `onSettled` runs once when they settle an outcome. */
function counter (
  ctx: ByzantineContext, own: OpenedVote, onSettled: (votes: OpenedVote[]) => Promise<void>
): { byzantine: Byzantine, votes: () => OpenedVote[] } {
  const state = tallyOf(ctx)
  state.addVote(own)
  let settled = false
  const votes = (): OpenedVote[] => [...state.counted.votes()]
  return {
    votes,
    byzantine: {
      async receive (bytes) {
        const message = await opened(bytes)
        if (message?.body.type !== 'vote') return
        state.addVote(message as OpenedVote)
        if (!settled && state.evaluate().outcome !== 'pending') {
          settled = true
          await onSettled(votes())
        }
      }
    }
  }
}

const silent: Byzantine = { async receive () {} }

/**
 * Coordinator signs close A (over every vote it holds: approved once settled) for the split and close B
 * (timeout over its own vote, at the deadline) for the rest, and prevotes and precommits A to the split
 * and B to the rest in rounds 0-2. `together`: A waits for the deadline too, so neither group hears of
 * the other's close before its own.
 */
function twoCloses (name: string, together: boolean): Strategy {
  return {
    name,
    summary: together
      ? 'as two-closes, but close A also waits for the deadline: both closes go out at once'
      : 'coordinator signs close A (approved, over every vote, once settled) for the split and close B (timeout over its own vote, at ' +
        'the deadline) for the rest; prevotes and precommits A to the split and B to the rest in rounds 0-2',
    coordinator: 'byzantine',
    splits: EVERY_SPLIT,
    kind: 'scripted',
    async start (ctx) {
      const { a, b } = groups(ctx)
      const own = await vote(ctx, 'for')
      sendTo(ctx, ctx.honest, own)
      const body = ctx.proposal.body
      let closeA: OpenedClose | undefined
      let closeB: OpenedClose | undefined
      const acks = async (round: number, close: OpenedClose, to: string[]): Promise<void> => {
        sendTo(ctx, to, await forgeAck(ctx.identity, ctx.proposal, round, AckPhase.Prevote, outcomeOf(close)))
        sendTo(ctx, to, await forgeAck(ctx.identity, ctx.proposal, round, AckPhase.Precommit, outcomeOf(close)))
      }
      const sendA = async (votes: OpenedVote[]): Promise<void> => {
        if (closeA !== undefined) return
        closeA = await forgeClose(ctx.identity, ctx.proposal, votes)
        sendTo(ctx, a, closeA)
        await acks(0, closeA, a)
      }
      const count = counter(ctx, own, together ? async () => {} : sendA)
      ctx.clock.setTimeout(async () => {
        // close A over what it holds (if the votes never settled, that is a timeout too); close B over its own vote alone
        await sendA(count.votes())
        closeB = await forgeClose(ctx.identity, ctx.proposal, [own], { decision: 'timeout', closedAt: body.deadline })
        sendTo(ctx, b, closeB)
        await acks(0, closeB, b)
      }, body.deadline - ctx.clock.now())
      for (const round of [1, 2]) {
        ctx.clock.setTimeout(async () => {
          if (closeA !== undefined) await acks(round, closeA, a)
          if (closeB !== undefined) await acks(round, closeB, b)
        }, roundStart(body, round) - ctx.clock.now())
      }
      return count.byzantine
    }
  }
}

/** The menu: each strategy is one dimension of the enumeration, explored at each of its splits. */
export const STRATEGIES: readonly Strategy[] = [
  {
    name: 'silent',
    summary: 'a member that never sends anything (honest coordinator)',
    coordinator: 'honest',
    splits: [0],
    kind: 'scripted',
    async start () { return silent }
  },
  {
    name: 'crash-coordinator',
    summary: 'coordinator votes for, closes by its count (settled, else timeout at the deadline) to the split only, then is silent',
    coordinator: 'byzantine',
    splits: EVERY_SPLIT,
    kind: 'scripted',
    async start (ctx) {
      const own = await vote(ctx, 'for')
      sendTo(ctx, ctx.honest, own)
      let closed = false
      const close = async (votes: OpenedVote[]): Promise<void> => {
        if (closed) return
        closed = true
        sendTo(ctx, groups(ctx).a, await forgeClose(ctx.identity, ctx.proposal, votes))
      }
      const count = counter(ctx, own, close)
      ctx.clock.setTimeout(async () => close(count.votes()), ctx.proposal.body.deadline - ctx.clock.now())
      return count.byzantine
    }
  },
  {
    name: 'equivocate-votes',
    summary: 'votes for to the split and against to the rest, then is silent (honest coordinator)',
    coordinator: 'honest',
    splits: PROPER_SPLITS,
    kind: 'scripted',
    async start (ctx) {
      const { a, b } = groups(ctx)
      sendTo(ctx, a, await vote(ctx, 'for'))
      sendTo(ctx, b, await vote(ctx, 'against'))
      return silent
    }
  },
  twoCloses('two-closes', false),
  twoCloses('two-closes-at-deadline', true),
  {
    name: 'ballot-change-split',
    summary: 'on a ballot that allows vote changes: votes choice 1 to everyone, then changes to choice 2 (seq 1) for the split only',
    coordinator: 'honest',
    splits: PROPER_SPLITS,
    kind: 'scripted',
    proposal: 'ballot',
    async start (ctx) {
      sendTo(ctx, ctx.honest, await vote(ctx, 1))
      sendTo(ctx, groups(ctx).a, await vote(ctx, 2, 1))
      return silent
    }
  },
  {
    name: 'ballot-equivocate',
    summary: 'on a ballot that allows vote changes: choice 1 to the split and choice 2 to the rest, both with seq 0',
    coordinator: 'honest',
    splits: PROPER_SPLITS,
    kind: 'scripted',
    proposal: 'ballot',
    async start (ctx) {
      const { a, b } = groups(ctx)
      sendTo(ctx, a, await vote(ctx, 1))
      sendTo(ctx, b, await vote(ctx, 2))
      return silent
    }
  },
  {
    name: 'two-prevotes',
    summary: 'votes for; on the first close of each round it sees, prevotes it to the split and nil to the rest, and precommits it to the split',
    coordinator: 'honest',
    splits: EVERY_SPLIT,
    kind: 'scripted',
    async start (ctx) {
      const { a, b } = groups(ctx)
      sendTo(ctx, ctx.honest, await vote(ctx, 'for'))
      const acked = new Set<number>()
      return {
        async receive (bytes) {
          const message = await opened(bytes)
          if (message?.body.type !== 'close') return
          const round = message.body.round
          if (acked.has(round)) return
          acked.add(round)
          const value = outcomeOf(message as OpenedClose)
          sendTo(ctx, a, await forgeAck(ctx.identity, ctx.proposal, round, AckPhase.Prevote, value))
          sendTo(ctx, b, await forgeAck(ctx.identity, ctx.proposal, round, AckPhase.Prevote, null))
          sendTo(ctx, a, await forgeAck(ctx.identity, ctx.proposal, round, AckPhase.Precommit, value))
        }
      }
    }
  },
  {
    name: 'late',
    summary: 'a real manager (votes for) whose every message waits until round 1 starts (honest coordinator)',
    coordinator: 'honest',
    splits: [0],
    kind: 'late'
  },
  {
    name: 'late-coordinator',
    summary: 'a real manager as coordinator (votes for): its proposal goes out at once, everything else it sends waits until round 1 starts',
    coordinator: 'byzantine',
    splits: [0],
    kind: 'late'
  }
]
