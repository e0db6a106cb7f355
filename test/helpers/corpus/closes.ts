/** Corpus scenarios on closes: forged by a live peer's every check, and forward-dated by later rounds' closers or the coordinator. */
import type { CloseBody } from '../../../src/wire/messages.js'
import type { RejectReason } from '../../../src/transport/coordinator.js'
import type { VoteType } from '../../../src/types.js'
import type { Bytes } from '../cbor.js'
import { ADV, HONEST, makeSwarm, propose, sealClose, sealVote, sortIds, type Open } from './harness.js'
import { accept, honestApproval, ignore, reject, type CorpusClass, type Scenario } from './scenario.js'

/** Closes a live peer must reject: wrong closer, before its slot, wrong tally, wrong decision, … */
export async function forgedClosesScenario (): Promise<Scenario & { open: Open, excludedPair: Array<[Bytes, Bytes]> }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'closes' })
  const { deadline, createdAt } = open.body
  const r0 = open.closer(0)
  const r1 = open.closer(1)
  const r2 = open.closer(2)
  if (r0 !== 0 || new Set([r0, r1, r2]).size !== 3) throw new Error(`closers: expected agent 0 then two others, got ${r0}, ${r1}, ${r2}`)
  // rounds past the pinned closers rotate through the rest of the electorate: round 3 is the first unpinned member's
  const r3 = open.closer(3)
  const r7 = open.closer(7)
  // held by every honest peer: member 3 against; the adversary's equivocating pair
  const v3 = await sealVote(open, h.ids[3]!, 'against')
  const v4a = await sealVote(open, h.ids[ADV]!, 'for')
  const v4b = await sealVote(open, h.ids[ADV]!, 'against')
  const slot1 = open.roundStart(1)
  const slot2 = open.roundStart(2)
  const empty = { decision: 'timeout' as const, votes: [], tally: [0, 0, 0, 0, 0, 0] as CloseBody['tally'] }
  const excludedPair = [sortIds(v4a.id, v4b.id) as [Bytes, Bytes]]
  const attack = (name: RejectReason, title: string, description: string, inputs: Bytes[]): CorpusClass => ({
    name, title, description, inputs, expected: reject(name), role: 'attack'
  })
  const classes: CorpusClass[] = [
    {
      name: 'member-vote',
      title: 'a member\'s valid vote',
      description: 'Member 3\'s vote against.',
      inputs: [v3.bytes],
      expected: accept('counted'),
      role: 'control'
    },
    {
      name: 'member-vote-2',
      title: 'the adversary\'s first vote',
      description: 'The adversary\'s vote for.',
      inputs: [v4a.bytes],
      expected: accept('counted'),
      role: 'control'
    },
    {
      name: 'member-equivocation',
      title: 'the adversary\'s second vote',
      description: 'The adversary\'s vote against: equivocation, so its pair is excluded.',
      inputs: [v4b.bytes],
      expected: accept('equivocation'),
      role: 'control'
    },
    attack('not-closer', 'close by a non-closer', 'Validly signed closes, each dated at its round\'s start, by members that are not ' +
      'the closer of the round they claim: round 0 by non-coordinators (4), round 1 by all but its closer (4), round 2 by the round-1 closer, ' +
      'round 3 (past the pinned closers, the first unpinned member\'s) by the round-1 closer, round 7 (the rotation\'s) by all but its closer (4).', [
      ...await Promise.all([1, 2, 3, 4].map(async i => sealClose(h, open, i, { round: 0, closedAt: deadline, ...empty }))),
      ...await Promise.all([0, 1, 2, 3, 4].filter(i => i !== r1).map(async i => sealClose(h, open, i, { round: 1, closedAt: slot1, ...empty }))),
      await sealClose(h, open, r1, { round: 2, closedAt: slot2, ...empty }),
      ...(r3 === r1 ? [] : [await sealClose(h, open, r1, { round: 3, closedAt: open.roundStart(3), ...empty })]),
      ...await Promise.all([0, 1, 2, 3, 4].filter(i => i !== r7).map(async i => sealClose(h, open, i, { round: 7, closedAt: open.roundStart(7), ...empty })))
    ]),
    attack('before-slot', 'close before its round starts', 'Closes of rounds 1 and 2 by their closers whose signed closedAt is before ' +
      'their round starts (deadline + Δ·(1 + (r−1)(r+2)/2)), from the proposal\'s creation to 1 ms before the start.', [
      await sealClose(h, open, r1, { round: 1, closedAt: createdAt, ...empty }),
      await sealClose(h, open, r1, { round: 1, closedAt: deadline - 1, ...empty }),
      await sealClose(h, open, r1, { round: 1, closedAt: deadline, ...empty }),
      await sealClose(h, open, r1, { round: 1, closedAt: slot1 - 1, ...empty }),
      await sealClose(h, open, r2, { round: 2, closedAt: slot1, ...empty }),
      await sealClose(h, open, r2, { round: 2, closedAt: slot2 - 1, ...empty })
    ]),
    attack('early-timeout', 'timeout before the deadline', 'The coordinator\'s timeout closes dated before the deadline.',
      await Promise.all([createdAt, createdAt + 1, createdAt + 5, deadline - 1000, deadline - 1]
        .map(async closedAt => sealClose(h, open, 0, { round: 0, closedAt, ...empty })))),
    attack('wrong-tally', 'wrong tally', 'Closes counting member 3\'s vote with one tally field off by one (6), ' +
      'and an empty close claiming one vote against.', [
      ...await Promise.all([0, 1, 2, 3, 4, 5].map(async k => {
        const tally: CloseBody['tally'] = [0, 1, 0, 0, 1, 0]
        tally[k] = (tally[k] as number) + 1
        return sealClose(h, open, r1, { round: 1, closedAt: slot1, decision: 'timeout', votes: [v3.id], tally })
      })),
      await sealClose(h, open, 0, { round: 0, closedAt: deadline, decision: 'timeout', votes: [], tally: [0, 1, 0, 0, 1, 0] })
    ]),
    attack('wrong-decision', 'wrong decision', 'Closes with a correct tally but a decision the pinned algorithm does not reach ' +
      '(approved or rejected while unsettled).', [
      await sealClose(h, open, r1, { round: 1, closedAt: slot1, decision: 'approved', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
      await sealClose(h, open, r1, { round: 1, closedAt: slot1, decision: 'rejected', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
      await sealClose(h, open, 0, { round: 0, closedAt: createdAt + 20, decision: 'approved', votes: [], tally: [0, 0, 0, 0, 0, 0] }),
      await sealClose(h, open, 0, { round: 0, closedAt: createdAt + 20, decision: 'rejected', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
      await sealClose(h, open, r2, { round: 2, closedAt: slot2, decision: 'approved', votes: [v4a.id], tally: [1, 0, 0, 1, 0, 0] }),
      await sealClose(h, open, 0, { round: 0, closedAt: createdAt + 20, decision: 'approved', votes: [v4a.id], tally: [1, 0, 0, 1, 0, 0], excluded: [] })
    ]),
    attack('double-vote', 'two votes of one voter', 'Closes counting both of the equivocator\'s votes, ' +
      'or counting one of them while listing the pair as excluded.', [
      await sealClose(h, open, 0, { round: 0, closedAt: deadline, decision: 'timeout', votes: sortIds(v4a.id, v4b.id), tally: [1, 1, 0, 1, 1, 0] }),
      await sealClose(h, open, 0, { round: 0, closedAt: deadline, decision: 'timeout', votes: sortIds(v3.id, v4a.id, v4b.id), tally: [1, 2, 0, 1, 2, 0] }),
      await sealClose(h, open, 0, { round: 0, closedAt: deadline, decision: 'timeout', votes: [v4a.id], excluded: excludedPair, tally: [1, 0, 0, 1, 0, 0] }),
      await sealClose(h, open, r1, { round: 1, closedAt: slot1, decision: 'timeout', votes: [v4b.id], excluded: excludedPair, tally: [0, 1, 0, 0, 1, 0] }),
      await sealClose(h, open, r2, {
        round: 2, closedAt: slot2, decision: 'timeout', votes: sortIds(v3.id, v4b.id), excluded: excludedPair, tally: [0, 2, 0, 0, 2, 0]
      })
    ]),
    attack('bad-evidence', 'false equivocation evidence', 'Closes by each closer excluding a "pair" of votes by two different voters ' +
      '(member 3 and the adversary), to silence an honest member.', [
      await sealClose(h, open, 0, { round: 0, closedAt: deadline, decision: 'timeout', votes: [], excluded: [sortIds(v3.id, v4a.id) as [Bytes, Bytes]] }),
      await sealClose(h, open, r1, { round: 1, closedAt: slot1, decision: 'timeout', votes: [], excluded: [sortIds(v3.id, v4b.id) as [Bytes, Bytes]] }),
      await sealClose(h, open, r2, { round: 2, closedAt: slot2, decision: 'timeout', votes: [], excluded: [sortIds(v3.id, v4a.id) as [Bytes, Bytes]] }),
      await sealClose(h, open, 0, {
        round: 0, closedAt: deadline, decision: 'timeout', votes: [v4a.id], excluded: [sortIds(v3.id, v4b.id) as [Bytes, Bytes]], tally: [1, 0, 0, 1, 0, 0]
      }),
      await sealClose(h, open, 0, {
        round: 0, closedAt: deadline, decision: 'timeout', votes: [v3.id], excluded: [sortIds(v3.id, v4b.id) as [Bytes, Bytes]], tally: [0, 1, 0, 0, 1, 0]
      })
    ])
  ]
  return {
    name: 'forged closes',
    h,
    honest: HONEST,
    open,
    excludedPair,
    classes,
    conclusions: [{
      label: 'the proposal',
      open,
      agents: HONEST,
      steps: [{ votes: [[0, 'for'], [1, 'for'], [2, 'for']] }],
      expected: { decision: 'approved', voters: HONEST, votesFor: 3, votesAgainst: 1 }
    }]
  }
}

/**
 * A coordinator that forward-dates its round-0 timeout: signed `closedAt` at (or after) the deadline,
 * sent right after the proposal. Checked, then held until the deadline by the receiver's clock, so
 * the honest votes decide first. The adversary holds the coordinator's key (its manager runs honestly).
 */
export async function earlyCloseScenario (): Promise<Scenario & { open: Open }> {
  const h = await makeSwarm(5)
  const open = await propose(h, ADV, { action: 'early-timeout' })
  const { deadline } = open.body
  // one: held closes count toward a closer's limit of two per round, so a second forged one would have its own
  // manager's real close dropped as 'close-limit' (a coordinator signing three closes is Byzantine; it may close timeout anyway)
  const inputs = [await sealClose(h, open, ADV, { round: 0, closedAt: deadline, decision: 'timeout' })]
  return {
    name: 'early-dated round-0 timeout',
    h,
    honest: HONEST,
    open,
    classes: [{
      name: 'early-close',
      title: 'early-dated round-0 timeout',
      description: 'The coordinator signs a timeout close dated at the deadline and sends it right after the proposal: ' +
        'correct by their signed fields, early by the receivers\' clocks, so held until the deadline.',
      inputs,
      expected: ignore('early-close'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}

/**
 * Fallback closers that forward-date their close: closes of rounds 1 and 2 dated at (or after) their
 * round's start, sent right after the proposal. Checked and kept (a close of a later round is
 * prevoted only by members in that round), and must not cut the vote short: round 0 decides. The
 * adversary holds the keys of both pinned fallback closers; the coordinator and the other two are honest.
 */
export async function forwardDatedScenario (): Promise<Scenario & { open: Open }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'forward-dated' })
  const { step } = open.body
  const r1 = open.closer(1)
  const r2 = open.closer(2)
  const honest = [0, 1, 2, 3, 4].filter(i => i !== r1 && i !== r2)
  const slot1 = open.roundStart(1)
  const slot2 = open.roundStart(2)
  const inputs = [
    await sealClose(h, open, r1, { round: 1, closedAt: slot1, decision: 'timeout' }),
    await sealClose(h, open, r1, { round: 1, closedAt: slot1 + step / 2, decision: 'timeout' }),
    await sealClose(h, open, r2, { round: 2, closedAt: slot2, decision: 'timeout' }),
    await sealClose(h, open, r2, { round: 2, closedAt: slot2 + step / 2, decision: 'timeout' })
  ]
  return {
    name: 'forward-dated closes of later rounds',
    h,
    honest,
    open,
    classes: [{
      name: 'forward-dated',
      title: 'forward-dated close of a later round',
      description: 'Both fallback closers sign timeout closes of their rounds (1, 2) dated at (and after) the round\'s start and send them ' +
        'right after the proposal: checked and kept, prevoted only in their round, which never comes: round 0 decides.',
      inputs,
      expected: accept('close'),
      role: 'attack'
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: honest,
      steps: [{ votes: honest.map(i => [i, 'for'] as [number, VoteType]) }],
      expected: { decision: 'approved', voters: honest, votesFor: 3, votesAgainst: 0 }
    }]
  }
}
