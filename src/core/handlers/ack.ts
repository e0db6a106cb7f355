import { sealMessage, type OpenedAck } from '../../wire/envelope.js'
import { PROTOCOL_VERSION } from '../../wire/messages.js'
import { idKey } from '../../wire/ids.js'
import { finalResult } from '../results.js'
import { accept, ignore, reject } from '../verdicts.js'
import type { HandlerContext } from './context.js'
import type { Round } from '../round.js'
import type { CheckedClose } from '../verify-close.js'
import type { Verdict } from '../../transport/coordinator.js'

/** An ack: counted once per member; a second, different one is evidence; a close we lack is pulled from the sender. */
export async function onAck (core: HandlerContext, round: Round, ack: OpenedAck, from: string): Promise<Verdict> {
  const effect = round.addAck(ack)
  if (effect === 'non-member' || effect === 'wrong-proposal') return reject(effect)
  if (effect === 'duplicate') return ignore('duplicate')
  if (effect === 'conflict') {
    const first = round.ackBySigner.get(ack.body.signer) as OpenedAck
    core.emit('evidence', { detail: { kind: 'conflicting-ack', proposalId: round.key, offender: ack.body.signer, messages: [first.bytes, ack.bytes] } })
    return ignore('conflicting-ack')
  }
  const closeKey = idKey(ack.body.close)
  // our own ack, from the datastore or a relay: it is the one close we acknowledge
  if (ack.body.signer === core.peerId) round.chooseAck(closeKey)
  await core.remember(round.key, ack)
  if (!round.closes.has(closeKey) && !round.pendingCloses.has(closeKey)) await core.outbox.pull(round.key, [closeKey], from)
  checkFinality(core, round)
  return accept('ack')
}

/** Keep a verified close, sign and send this peer's ack if it chose this close, check finality. */
export async function ackClose (core: HandlerContext, round: Round, checked: CheckedClose, mustAck: boolean): Promise<void> {
  await core.remember(round.key, checked.close)
  if (mustAck) {
    const ack = await sealMessage(core.identity, {
      type: 'ack', v: PROTOCOL_VERSION, ns: core.namespace, proposal: round.ctx.proposal.id, close: checked.close.id, signer: core.peerId
    })
    // stored before it leaves: after a crash we must never sign a different ack
    await core.store.save(round.key, ack)
    round.addAck(ack)
    await core.outbox.broadcast(ack)
  }
  checkFinality(core, round)
}

/** Decide once acks of more than 2/3 of the weight name one verified close: resolve, report, stop the timers. */
export function checkFinality (core: HandlerContext, round: Round): void {
  if (round.finalized !== undefined) return
  const final = round.finalCandidate()
  if (final === undefined) return
  const at = core.clock.now()
  round.finalize(final, at)
  const result = finalResult(round, final, at)
  core.stats.record(result)
  core.log('proposal %s decided %s by close %s', round.key, result.decision, final.close.key)
  core.scheduler.clear(round.key)
  core.requests.take(round.key)?.resolve(result)
  core.emit('decision', { detail: result })
  core.rounds.decide(round.key)
}
