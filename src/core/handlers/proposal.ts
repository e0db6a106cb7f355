import { checkProposal } from '../context.js'
import { proposalView } from '../results.js'
import { ProposalState } from '../proposal-state.js'
import { accept, ignore } from '../verdicts.js'
import { nilPrevoteTime } from './step.js'
import { Timeline } from './timeline.js'
import { maybeAutoVote } from './vote.js'
import type { HandlerContext, Reactions } from './context.js'
import type { Verdict } from '../../transport/coordinator.js'
import type { OpenedProposal } from '../../wire/envelope.js'

/**
 * A proposal: checked, held as a new round within the open-proposal limits, its timeline laid out;
 * then the messages that came before it are processed and the voter asked.
 */
export async function onProposal (core: HandlerContext, proposal: OpenedProposal, from: string, reactions: Reactions): Promise<Verdict> {
  if (core.rounds.known(proposal.key)) return ignore('duplicate')
  if (core.rounds.full(proposal.body.coordinator)) return ignore('too-many-open-proposals')
  const ctx = checkProposal(proposal, core.kinds)
  if (ctx === undefined) return ignore('unknown-algorithm')
  // no older than a proposal the datastore dropped, and not replayed from it: we may have signed
  // for it before a restart and forgotten (while running, `decided` catches those we dropped)
  const observeOnly = !core.replaying && proposal.body.createdAt <= core.store.forgottenUpTo
  const round = new ProposalState(ctx, { knownSince: core.clock.now(), observeOnly })
  core.rounds.add(round)
  await core.remember(round.key, proposal)
  core.scheduler.schedule(round, core.peerId, new Timeline(core, round), nilPrevoteTime(round))
  core.emit('proposal', { detail: proposalView(round) })
  const early = core.early.take(round.key)
  reactions.push(async () => {
    for (const held of early) await core.processNow(held.opened, held.from).catch(() => {})
    // while replaying, our stored vote comes after the proposal: decide about voting once it had its chance
    if (!core.replaying) await maybeAutoVote(core, round)
  })
  return accept(from === core.peerId ? 'own' : 'new')
}
