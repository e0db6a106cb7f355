/**
 * Gossipsub validates the messages of one stream concurrently. A vote that finished verifying before
 * its proposal would be held as early and not relayed; PubSubCoordinator makes the messages of one
 * source wait for a proposal (or close) that source sent before them. Stub pubsub, real messages.
 */
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { createIdentity } from '../src/index.js'
import { PubSubCoordinator } from '../src/libp2p/pubsub-coordinator.js'
import { sealMessage } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import type { PubSub, PubSubTopicValidator } from '../src/libp2p/pubsub.js'
import type { MessageHandler } from '../src/transport/coordinator.js'

function stubPubSub (): PubSub {
  return {
    topicValidators: new Map<string, PubSubTopicValidator>(),
    subscribe () {},
    unsubscribe () {},
    getSubscribers: () => [],
    publish: async () => ({ recipients: [] }),
    addEventListener () {},
    removeEventListener () {},
    dispatchEvent: () => true,
    safeDispatchEvent: () => true,
    listenerCount: () => 0
  } as unknown as PubSub
}

describe('PubSubCoordinator validation order', () => {
  it('a vote from a source waits for the proposal that source sent before it; other sources do not wait', async () => {
    const me = await createIdentity()
    const relay = await createIdentity()
    const other = await createIdentity()
    const pubsub = stubPubSub()
    const coordinator = new PubSubCoordinator({
      peerId: peerIdFromString(me.peerId),
      pubsub,
      registrar: { handle: async () => {}, unhandle: async () => {} },
      connectionManager: { getConnections: () => [], openStream: async () => { throw new Error('no streams here') } },
      logger: defaultLogger()
    } as any, { presence: { intervalMs: 0 } })
    await coordinator.start()
    const now = Date.now()
    const proposal = await sealMessage(relay, {
      type: 'proposal',
      v: PROTOCOL_VERSION,
      ns: 'default',
      coordinator: relay.peerId,
      seq: 1,
      createdAt: now,
      deadline: now + 10_000,
      step: 1_000,
      electorate: ([[relay.peerId, 1], [other.peerId, 1]] as Array<[string, number]>).sort((a, b) => a[0] < b[0] ? -1 : 1),
      algorithm: { name: 'quorum', kind: 'quorum', params: {} },
      closers: [relay.peerId],
      payload: {},
      choices: [],
      voteChange: false
    })
    const vote = await sealMessage(relay, {
      type: 'vote',
      v: PROTOCOL_VERSION,
      ns: 'default',
      proposal: proposal.id,
      voter: relay.peerId,
      seq: 0,
      choice: 'for',
      metadata: {}
    })
    const otherVote = await sealMessage(other, {
      type: 'vote',
      v: PROTOCOL_VERSION,
      ns: 'default',
      proposal: proposal.id,
      voter: other.peerId,
      seq: 0,
      choice: 'for',
      metadata: {}
    })

    const events: string[] = []
    let releaseProposal: () => void = () => {}
    const handler: MessageHandler = async (bytes) => {
      const kind = bytes === proposal.bytes ? 'proposal' : bytes === vote.bytes ? 'vote' : 'other-vote'
      events.push(`${kind} start`)
      if (kind === 'proposal') await new Promise<void>(resolve => { releaseProposal = resolve })
      events.push(`${kind} done`)
      return { result: 'accept', reason: kind === 'proposal' ? 'new' : 'counted' }
    }
    coordinator.setHandler(handler)
    const validate = pubsub.topicValidators.get(coordinator.topic)!
    const relayId = peerIdFromString(relay.peerId)
    const first = validate(relayId, { topic: coordinator.topic, data: proposal.bytes })
    const second = validate(relayId, { topic: coordinator.topic, data: vote.bytes })
    const third = validate(peerIdFromString(other.peerId), { topic: coordinator.topic, data: otherVote.bytes })
    await third
    // the other source's vote went through while the proposal was still being judged; the relay's vote did not start
    await new Promise(resolve => setTimeout(resolve, 20))
    expect([...events].sort()).toEqual(['other-vote done', 'other-vote start', 'proposal start'])
    releaseProposal()
    expect(await first).toBe('accept')
    expect(await second).toBe('accept')
    expect(events.slice(3)).toEqual(['proposal done', 'vote start', 'vote done'])
    await coordinator.stop()
  })
})
