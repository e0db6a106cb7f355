import type { ConsensusResult } from '../core/results.js'
import type { Coordinator, MessageHandler } from '../transport/coordinator.js'
import type { Counter, CounterGroup, Histogram, Metrics } from '@libp2p/interface'

/**
 * The service's metrics, registered on libp2p's optional `metrics` component: proposals seen,
 * inbound messages by verdict and reason (`accept_counted`, `reject_bad-signature`, …), decisions by
 * outcome, and decision latency.
 */
export class ConsensusMetrics {
  private readonly proposals: Counter
  private readonly messages: CounterGroup
  private readonly decisions: CounterGroup
  private readonly latency: Histogram

  constructor (metrics: Metrics) {
    this.proposals = metrics.registerCounter('libp2p_consensus_proposals_total', { help: 'Proposals this peer has seen' })
    this.messages = metrics.registerCounterGroup('libp2p_consensus_messages_total', {
      label: 'verdict',
      help: 'Inbound consensus messages by verdict and reason'
    })
    this.decisions = metrics.registerCounterGroup('libp2p_consensus_decisions_total', { label: 'decision', help: 'Final decisions by outcome' })
    this.latency = metrics.registerHistogram('libp2p_consensus_decision_latency_ms', {
      help: 'Milliseconds from proposal to final decision on this peer',
      buckets: [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000]
    })
  }

  onProposal (): void {
    this.proposals.increment()
  }

  onDecision (result: ConsensusResult): void {
    this.decisions.increment({ [result.decision]: true })
    this.latency.observe(result.durationMs)
  }

  /** Wrap a coordinator so that every verdict its handler returns is counted. */
  instrument (coordinator: Coordinator): Coordinator {
    const messages = this.messages
    return new Proxy(coordinator, {
      get (target, property, receiver) {
        if (property !== 'setHandler') {
          const value = Reflect.get(target, property, receiver)
          return typeof value === 'function' ? value.bind(target) : value
        }
        return (handler: MessageHandler | undefined) => {
          target.setHandler(handler === undefined
            ? undefined
            : async (bytes, from, options) => {
              const verdict = await handler(bytes, from, options)
              messages.increment({ [`${verdict.result}_${verdict.reason}`]: true })
              return verdict
            })
        }
      }
    })
  }
}
