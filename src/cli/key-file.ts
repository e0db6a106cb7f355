/**
 * A hub's key on disk, so that its PeerId — and so the multiaddr agents are given — survives restarts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { InvalidParametersError } from '@libp2p/interface'
import type { PrivateKey } from '@libp2p/interface'

/** Result of {@link loadOrCreateKey}. */
export interface KeyFile {
  privateKey: PrivateKey
  /** true when the file did not exist and was written now */
  created: boolean
}

/**
 * Read an Ed25519 key (libp2p protobuf bytes) from `path`, or generate one and write it there
 * (mode 0600, parent directories created) when the file does not exist.
 */
export async function loadOrCreateKey (path: string): Promise<KeyFile> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err: any) {
    if (err?.code !== 'ENOENT') throw new InvalidParametersError(`cannot read the key file ${path}: ${String(err?.message ?? err)}`)
    const privateKey = await generateKeyPair('Ed25519')
    await mkdir(dirname(path), { recursive: true })
    // 'wx': never overwrite a key another process wrote in the meantime
    await writeFile(path, privateKeyToProtobuf(privateKey), { mode: 0o600, flag: 'wx' })
    return { privateKey, created: true }
  }
  let privateKey: PrivateKey
  try {
    privateKey = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new InvalidParametersError(`${path} does not hold a libp2p private key (${(err as Error).message}); point --key-file at a new path to create one`)
  }
  if (privateKey.type !== 'Ed25519') throw new InvalidParametersError(`${path} holds a ${privateKey.type} key; consensus peers sign with Ed25519 keys`)
  return { privateKey, created: false }
}
