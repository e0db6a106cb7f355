/**
 * The hub's listen address, checked without loading libp2p (the CLI validates its flags with it).
 */
import { InvalidParametersError } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'

/** The default host of a hub: this machine only. */
export const DEFAULT_HUB_HOST = '127.0.0.1'

/**
 * The websocket listen multiaddr of a host and port, e.g. `/ip4/127.0.0.1/tcp/9090/ws`; throws
 * `InvalidParametersError` unless host is an IPv4 or IPv6 address and port an integer in 0…65535.
 */
export function hubListenAddress (host: string, port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidParametersError(`port must be an integer in 0…65535, got ${String(port)}`)
  const ip6 = typeof host === 'string' && host.includes(':')
  const text = `/${ip6 ? 'ip6' : 'ip4'}/${String(host)}/tcp/${port}/ws`
  let valid = ip6 || /^\d{1,3}(\.\d{1,3}){3}$/.test(String(host))
  try {
    multiaddr(text)
  } catch {
    valid = false
  }
  if (!valid) throw new InvalidParametersError(`host must be an IP address such as 127.0.0.1, 0.0.0.0 or ::, got ${JSON.stringify(host)}`)
  return text
}
