/**
 * Starts one Node hub and three Node agents for the whole browser run and hands their addresses to
 * the tests with `provide()`. vitest calls this once per project (the browser project and its
 * chromium instance), so the swarm is reference-counted: one hub, stopped by the last teardown.
 */
import { createHub } from '../../src/hub/index.js'
import { sharedState, type NodeSwarm } from './shared-state.js'
import { startTestAgent } from './test-agent.js'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** the Node hub's websocket multiaddr (…/ws/p2p/<id>) */
    hubAddr: string
    /** PeerIds of the Node agents, in the order the `node*` commands index them */
    nodeAgents: string[]
  }
}

/** Node agents besides the hub. */
const NODE_AGENTS = 3

async function startNodeSwarm (): Promise<NodeSwarm> {
  // the hub relays gossip and does not vote (it has no voter)
  const hub = await createHub()
  const hubAddr = hub.multiaddrs.find(a => a.includes('/ws/p2p/'))
  if (hubAddr === undefined) throw new Error(`the hub listens on no websocket address: ${hub.multiaddrs.join(', ')}`)
  const agents = []
  for (let i = 0; i < NODE_AGENTS; i++) agents.push(await startTestAgent({ hubs: [hubAddr] }))
  return { hub, hubAddr, agents }
}

export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const state = sharedState()
  state.users++
  state.swarm ??= startNodeSwarm()
  const swarm = await state.swarm
  project.provide('hubAddr', swarm.hubAddr)
  project.provide('nodeAgents', swarm.agents.map(a => a.peerId))
  return async () => {
    if (--state.users > 0) return
    const stopping = state.swarm
    state.swarm = undefined
    for (const page of state.tabs.values()) await page.close().catch(() => {})
    state.tabs.clear()
    const { hub, agents } = await stopping!
    await Promise.all(agents.map(async a => { await a.stop() }))
    await hub.stop()
    const backbone = state.backbone
    state.backbone = undefined
    if (backbone !== undefined) {
      const { hubs, agents: backboneAgents } = await backbone
      await Promise.all(backboneAgents.map(async a => { await a.stop() }))
      // a hub the test stopped already resolves at once
      await Promise.all(hubs.map(async h => { await h.stop() }))
    }
  }
}
