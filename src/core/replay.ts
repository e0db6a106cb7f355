import { openMessage, type AnyOpened, type OpenedProposal } from '../wire/envelope.js'
import { maybeAutoVote } from './handlers/vote.js'
import type { HandlerContext } from './handlers/context.js'
import type { DecodeLimits } from '../wire/limits.js'

/**
 * Rebuild state from the datastore: every stored message is opened and verified again and
 * processed in order (proposal, votes, acks, closes), oldest proposal first, without events. Our
 * own stored vote and ack are recognised, so we never sign different ones; open proposals resume
 * their timers and pulls.
 */
export async function replay (core: HandlerContext, limits: DecodeLimits): Promise<void> {
  const stored: Array<{ proposal: OpenedProposal, rest: AnyOpened[] }> = []
  for await (const { messages } of core.store.load()) {
    const opened: AnyOpened[] = []
    for (const bytes of messages) {
      try {
        opened.push(await openMessage(bytes, limits))
      } catch (err) {
        core.log.error('dropping a stored message that no longer verifies: %e', err)
      }
    }
    const proposal = opened.find(m => m.body.type === 'proposal') as OpenedProposal | undefined
    if (proposal !== undefined) stored.push({ proposal, rest: opened.filter(m => m !== proposal) })
  }
  stored.sort((a, b) => a.proposal.body.createdAt - b.proposal.body.createdAt)
  core.replaying = true
  try {
    for (const { proposal, rest } of stored) {
      await core.processNow(proposal, core.peerId).catch(err => { core.log.error('replay of %s failed: %e', proposal.key, err) })
      for (const message of rest) await core.processNow(message, core.peerId).catch(() => {})
    }
  } finally {
    core.replaying = false
  }
  for (const { proposal } of stored) {
    const round = core.rounds.get(proposal.key)
    if (round !== undefined && round.finalized === undefined) await maybeAutoVote(core, round)
  }
  if (stored.length > 0) core.log('replayed %d proposals from the datastore', stored.length)
}
