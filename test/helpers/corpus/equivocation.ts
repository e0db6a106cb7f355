/** The corpus scenario of members that sign two different votes. */
import type { OpenedVote } from '../../../src/wire/envelope.js'
import type { VoteType } from '../../../src/types.js'
import { makeSwarm, propose, sealVote } from './harness.js'
import { accept, ignore, type Scenario } from './scenario.js'
import type { Open } from './harness.js'

/** Five members each sign two different votes: the second is equivocation evidence, every time. */
export async function equivocationScenario (): Promise<Scenario & { open: Open, pairs: Array<[OpenedVote, OpenedVote]>, cheats: number[] }> {
  // 6 honest members and 5 equivocators: approval needs 6 of 11 for
  const honest = [0, 1, 2, 3, 4, 5]
  const cheats = [6, 7, 8, 9, 10]
  const h = await makeSwarm(11)
  const open = await propose(h, 0, { action: 'equivocate' })
  const pairs: Array<[OpenedVote, OpenedVote]> = []
  for (const c of cheats) pairs.push([await sealVote(open, h.ids[c]!, 'for'), await sealVote(open, h.ids[c]!, 'against', { metadata: { changed: 'mind' } })])
  const third = await Promise.all(cheats.map(async c => (await sealVote(open, h.ids[c]!, 'abstain')).bytes))
  const firsts = pairs.map(p => p[0].bytes)
  return {
    name: 'equivocation',
    h,
    honest,
    open,
    pairs,
    cheats,
    classes: [{
      name: 'first-votes',
      title: 'the equivocators\' first votes',
      description: 'Each of five members\' first valid vote (for), counted on arrival.',
      inputs: firsts,
      expected: accept('counted'),
      role: 'control'
    }, {
      name: 'equivocation',
      title: 'equivocation',
      description: 'Each of the five members\' second, different, validly signed vote (against): ' +
        'accepted and relayed as evidence, the voter excluded, neither vote counted.',
      inputs: pairs.map(p => p[1].bytes),
      expected: accept('equivocation'),
      role: 'attack',
      alsoUncounted: firsts
    }, {
      name: 'equivocation-again',
      title: 'equivocation, again',
      description: 'A third vote (abstain) from each equivocator, and their second votes re-sent: no new evidence.',
      inputs: [...third, ...pairs.map(p => p[1].bytes)],
      expected: ignore('duplicate'),
      role: 'attack',
      alsoUncounted: firsts
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: honest,
      steps: [{ votes: honest.map(i => [i, 'for'] as [number, VoteType]) }],
      expected: { decision: 'approved', voters: honest, votesFor: 6, votesAgainst: 0 }
    }]
  }
}
