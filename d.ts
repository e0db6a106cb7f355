import { SimulatedSwarm } from './src/index.ts'
const swarm = await SimulatedSwarm.create({ agents: 9, seed: 5, latencyMs: [1, 20], recordTrace: true })
const ids = swarm.agents.map(a => a.identity.peerId)
swarm.network.partition([ids.slice(0, 4), ids.slice(4)])
const pending = swarm.request(0, { partitioned: true }, { timeoutMs: 1_000, participants: ids })
await swarm.clock.advance(1_500)
console.log('at heal', swarm.clock.now(), swarm.clock.pending, swarm.network.counters)
swarm.network.heal()
const r = await pending
console.log(r?.decision, r?.metadata)
await swarm.settle()
console.log(swarm.clock.now(), swarm.network.counters)
for (const a of swarm.agents) console.log(a.index, a.decisions.size, a.manager.getOpenProposals().length)
const m: any = swarm.agent(0).manager
for (const round of m.rounds.values()) {
  console.log('closes', [...round.closes.values()].map((c: any) => [c.close.body.rank, c.close.body.decision, c.close.body.votes.length, c.close.key.slice(0, 8)]))
  console.log('acks', [...round.ackWeight.entries()].map(([k, w]: any) => [k.slice(0, 8), w]), 'total', round.ctx.totalWeight, 'electorate', round.ctx.electorate.size, 'closers', round.ctx.proposal.body.closers.map((c: string) => ids.indexOf(c)))
}
