/**
 * The Node side of the browser tests (one hub, a few Node agents, the extra tabs, and the two-hub
 * backbone of the WebRTC test) lives on
 * `globalThis`, because vitest runs `globalSetup` once per project (the browser project and its
 * chromium instance) and loads the config's commands through a different module graph: a
 * module-level variable would exist twice. Everything here is type-only or plain data.
 */
import type { TestAgent } from './test-agent.js'
import type { ConsensusHub } from '../../src/hub/index.js'
import type { Page } from 'playwright'

/** The hub and Node agents every browser test talks to. */
export interface NodeSwarm {
  hub: ConsensusHub
  /** the hub's websocket multiaddr, ending in /p2p/<hub id> */
  hubAddr: string
  agents: TestAgent[]
}

/** Two hubs linked as a backbone, with Node agents that know both (started on demand by `startBackbone`). */
export interface BackboneSwarm {
  hubs: ConsensusHub[]
  /** each hub's websocket multiaddr, in the order of `hubs` */
  hubAddrs: string[]
  agents: TestAgent[]
}

/** What the process shares between the setups and the commands. */
export interface SharedState {
  /** how many `globalSetup`s hold the swarm; the last teardown stops it */
  users: number
  swarm?: Promise<NodeSwarm>
  /** the two-hub backbone of the WebRTC test, once a test asked for it */
  backbone?: Promise<BackboneSwarm>
  /** extra tabs opened by `openTab`, by id */
  tabs: Map<string, Page>
  nextTab: number
}

const KEY = Symbol.for('libp2p-consensus/browser-tests')

/** The process-wide state (created on first use). */
export function sharedState (): SharedState {
  const holder = globalThis as unknown as Record<symbol, SharedState | undefined>
  holder[KEY] ??= { users: 0, tabs: new Map(), nextTab: 0 }
  return holder[KEY]
}
