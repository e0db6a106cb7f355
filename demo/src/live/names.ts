/**
 * Names for peers, wherever the page shows one: the name a peer announced, the name `hub.json`
 * gave a Node agent, "hub" for a hub, else one short form of its id. Names are self-declared
 * labels: what is signed and counted is always the PeerId (its full form is in every tooltip).
 */

/** A PeerId shortened as the CLI shows it (`…7a6WCsLs`): every Ed25519 PeerId starts with 12D3KooW, only the tail tells them apart. */
export const shortId = (id: string): string => id.length > 12 ? `…${id.slice(-8)}` : id

/** A stable hue per peer, so a peer keeps its colour in every tab. */
export const hueOf = (id: string): number => [...id].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 360, 7)

/** The names this tab knows, and a lookup that falls back to a short id. */
export class PeerNames {
  private readonly given = new Map<string, string>()
  private readonly roles = new Map<string, string>()
  private announced: (id: string) => { name?: string, role?: string } | undefined = () => undefined

  /** Where announced names and roles come from (the consensus service's `getPeerInfo`, read from signed presence). */
  useAnnounced (lookup: (id: string) => { name?: string, role?: string } | undefined): void {
    this.announced = lookup
  }

  /** Name a peer locally (a hub, a Node agent listed by `hub.json`, this tab), with what it is. */
  set (id: string, name: string, role?: string): void {
    this.given.set(id, name)
    if (role !== undefined) this.roles.set(id, role)
  }

  /** The name to show for `id`. */
  name (id: string): string {
    const announced = this.announced(id)?.name
    return announced !== undefined && announced !== '' ? announced : this.given.get(id) ?? shortId(id)
  }

  /** What a peer is, in words (what `hub.json` says of a Node agent, "this tab", "hub", else its announced role), if known. */
  role (id: string): string | undefined {
    return this.roles.get(id) ?? this.announced(id)?.role
  }
}
