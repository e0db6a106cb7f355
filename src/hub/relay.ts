/**
 * The circuit relay every hub runs (`@libp2p/circuit-relay-v2`'s server), so that browser tabs,
 * which cannot listen, can reserve a slot on their hub, be reached at `…/p2p-circuit/p2p/<tab>`
 * and upgrade to a direct WebRTC connection with each other.
 */
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { CircuitRelayServerComponents } from '@libp2p/circuit-relay-v2'

/** The longest a relayed connection stays open (ms): circuit relay v2's own default, 2 minutes. */
export const HUB_RELAY_DURATION_LIMIT_MS = 2 * 60_000

/** The most bytes a relayed connection carries (both ways together): 1 MiB. */
export const HUB_RELAY_DATA_LIMIT_BYTES = 1n << 20n

/**
 * A hub's relay server: as many reservations as peers ask for, each relayed connection limited to
 * `HUB_RELAY_DURATION_LIMIT_MS` and `HUB_RELAY_DATA_LIMIT_BYTES`.
 *
 * Why limits, and these: a relayed connection with limits is "limited" in libp2p, and gossipsub
 * (`runOnLimitedConnection: false`, its default and ours) never opens a stream on one. So the relay
 * does not carry consensus gossip at all: it carries identify and the WebRTC signalling (an SDP
 * offer and answer and a few ICE candidates, a few KiB, ~1 s on a LAN) that upgrades two tabs to a
 * direct connection. Until that upgrade, and whenever it fails, the tabs' gossip flows through
 * their websocket connections to the hubs, as it always did. Circuit relay v2's default data limit
 * (128 KiB) fits signalling too; 1 MiB leaves room for slow ICE (many candidates, retries) without
 * letting the relay become a free bulk pipe. The 2-minute duration is v2's default: a signalling
 * exchange that has not finished by then has failed.
 *
 * The reservation count is unbounded (default 15) because every tab behind a hub reserves a slot;
 * the hub's connection limits (`hubConnectionManagerOptions`, 1000 connections) bound it instead.
 */
export function hubRelayServer (): (components: CircuitRelayServerComponents) => CircuitRelayService {
  return circuitRelayServer({
    reservations: {
      maxReservations: Infinity,
      applyDefaultLimit: true,
      defaultDurationLimit: HUB_RELAY_DURATION_LIMIT_MS,
      defaultDataLimit: HUB_RELAY_DATA_LIMIT_BYTES
    }
  })
}
