/**
 * Which hubs an agent prefers: rendezvous (highest-random-weight) hashing of the agent's PeerId
 * with each hub's. Every agent ranks the same hubs differently, so a swarm told the same list of
 * hubs spreads evenly over them with no coordination; when a hub goes, only the agents that
 * preferred it move, each to its own next choice, so they spread over the remaining hubs too.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'

const encoder = new TextEncoder()
/** Separates the two PeerIds so that `ab` + `c` and `a` + `bc` hash differently. */
const SEPARATOR = uint8ArrayFromString('\n')

/** The rendezvous weight of (agent, hub): SHA-256 over both PeerId strings; compared as bytes. */
function weight (agent: string, hub: string): Uint8Array {
  const a = encoder.encode(agent)
  const b = encoder.encode(hub)
  const bytes = new Uint8Array(a.length + SEPARATOR.length + b.length)
  bytes.set(a)
  bytes.set(SEPARATOR, a.length)
  bytes.set(b, a.length + SEPARATOR.length)
  return sha256(bytes)
}

function compareBytes (x: Uint8Array, y: Uint8Array): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0)
  return 0
}

/**
 * `hubs` (PeerId strings) in the order `agent` prefers them: by descending SHA-256 of
 * `agent + "\n" + hub`, ties (the same hub twice) kept in input order. Deterministic: the same
 * agent and hubs give the same order on every machine, whatever order the hubs were listed in.
 */
export function rendezvousOrder (agent: string, hubs: readonly string[]): string[] {
  return hubs
    .map((hub, index) => ({ hub, index, weight: weight(agent, hub) }))
    .sort((x, y) => compareBytes(y.weight, x.weight) || x.index - y.index)
    .map(entry => entry.hub)
}
