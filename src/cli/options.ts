/**
 * Parsers of the CLI's flags and arguments. Each throws commander's `InvalidArgumentError` saying
 * what it got and what it expected, which the CLI prints as one line and exits with 2 (usage).
 */
import { multiaddr } from '@multiformats/multiaddr'
import { WebSockets, WebSocketsSecure } from '@multiformats/multiaddr-matcher'
import { InvalidArgumentError } from 'commander'
import { checkCbor } from '../core/options.js'
import { hubListenAddress } from '../hub/listen.js'
import { MAX_CHOICE_LENGTH, MAX_CHOICES, VotingType, type CborRecord, type VoteType } from '../types.js'

/** The algorithms every peer knows by these names (`defaultAlgorithms()`). */
export const ALGORITHM_NAMES = ['quorum', 'weighted', 'unanimous', 'supermajority'] as const

/** One of {@link ALGORITHM_NAMES}. */
export type AlgorithmName = typeof ALGORITHM_NAMES[number]

/** The algorithms whose approval threshold `--threshold` sets, with their defaults. */
export const THRESHOLD_DEFAULTS: Partial<Record<AlgorithmName, number>> = { quorum: 0.5, weighted: 0.6 }

const VOTES: readonly VoteType[] = ['for', 'against', 'abstain']

/** `--vote`: for, against or abstain (plus `random` where the command allows it). */
export function parseVote (text: string): VoteType
export function parseVote (text: string, allowRandom: true): VoteType | 'random'
export function parseVote (text: string, allowRandom = false): VoteType | 'random' {
  const choices: string[] = allowRandom ? [...VOTES, 'random'] : [...VOTES]
  if (!choices.includes(text)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got ${JSON.stringify(text)}.`)
  return text as VoteType | 'random'
}

/** `--algorithm`: one of the built-in algorithm names. */
export function parseAlgorithm (text: string): AlgorithmName {
  if (!(ALGORITHM_NAMES as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`unknown algorithm ${JSON.stringify(text)}; expected one of ${ALGORITHM_NAMES.join(', ')}.`)
  }
  return text as AlgorithmName
}

/** `--threshold`: a share in [0, 1), e.g. 0.5 (approved when strictly more than that share votes for). */
export function parseThreshold (text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new InvalidArgumentError(`expected a number from 0 up to (not including) 1, such as 0.5 or 0.66, got ${JSON.stringify(text)}.`)
  }
  return value
}

/** `--voting-type`: one of the six ways ballots over `--choices` are scored. */
export function parseVotingType (text: string): VotingType {
  const types: string[] = Object.values(VotingType)
  if (!types.includes(text)) throw new InvalidArgumentError(`unknown voting type ${JSON.stringify(text)}; expected one of ${types.join(', ')}.`)
  return text as VotingType
}

/** `--choices`: comma-separated options (`a,b,c`), repeatable; each 1 to 128 characters, none twice, 64 at most. */
export function collectChoices (text: string, previous: string[] = []): string[] {
  const added = text.split(',').map(c => c.trim())
  const choices = [...previous, ...added]
  for (const choice of added) {
    if (choice === '') throw new InvalidArgumentError(`a choice is empty in ${JSON.stringify(text)}; expected names separated by commas, such as a,b,c.`)
    if (choice.length > MAX_CHOICE_LENGTH) {
      throw new InvalidArgumentError(`choice ${JSON.stringify(choice.slice(0, 20) + '…')} is over ${MAX_CHOICE_LENGTH} characters.`)
    }
  }
  const twice = choices.find((c, i) => choices.indexOf(c) !== i)
  if (twice !== undefined) throw new InvalidArgumentError(`choice ${JSON.stringify(twice)} is listed twice; every choice must differ.`)
  if (choices.length > MAX_CHOICES) throw new InvalidArgumentError(`${choices.length} choices; at most ${MAX_CHOICES}.`)
  return choices
}

/** A flag that takes one of a few words (`--quorum-type`, `--tie-break`). */
export function oneOf<T extends string> (words: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(words as readonly string[]).includes(text)) throw new InvalidArgumentError(`expected ${words.join(' or ')}, got ${JSON.stringify(text)}.`)
    return text as T
  }
}

/** An integer flag within bounds (`--timeout`, `--port`, `--min-peers`). */
export function integerIn (min: number, max: number, unit = ''): (text: string) => number {
  return (text) => {
    const value = Number(text)
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}${unit}, got ${JSON.stringify(text)}.`)
    }
    return value
  }
}

/** The proposal argument: a JSON object whose values survive canonical CBOR (no floats like 1e400, no nested undefined). */
export function parseProposal (text: string): CborRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidArgumentError(`the proposal is not valid JSON (${(err as Error).message}); expected an object such as '{"action":"deploy"}'.`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'an array' : JSON.stringify(value)
    throw new InvalidArgumentError(`the proposal must be a JSON object such as '{"action":"deploy"}', got ${got}.`)
  }
  try {
    return checkCbor(value, 'the proposal')
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`)
  }
}

/** `--hub` (and `hub --peer`): a websocket multiaddr ending in `/p2p/<peer id>`, as `libp2p-consensus hub` prints it; repeatable. */
export function collectHub (text: string, previous: string[] = []): string[] {
  let addr
  try {
    addr = multiaddr(text)
  } catch {
    throw new InvalidArgumentError(
      `${JSON.stringify(text)} is not a multiaddr; expected the address the hub prints, like /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW….`
    )
  }
  if (!WebSockets.matches(addr) && !WebSocketsSecure.matches(addr)) {
    throw new InvalidArgumentError(`${text} is not a websocket address; expected …/ws/p2p/<peer id> or …/wss/p2p/<peer id>, as the hub prints it.`)
  }
  if (addr.getComponents().findLast(c => c.name === 'p2p') === undefined) {
    throw new InvalidArgumentError(`${text} does not end in /p2p/<peer id>; copy the whole address the hub prints.`)
  }
  return [...previous, text]
}

/** `--namespace`: the swarm's name; it must match on every peer. */
export function parseNamespace (text: string): string {
  if (!/^[\w.-]{1,64}$/.test(text)) throw new InvalidArgumentError(`expected 1 to 64 letters, digits, '.', '_' or '-', got ${JSON.stringify(text)}.`)
  return text
}

/** `--host`: the IP address a hub listens on. */
export function parseHost (text: string): string {
  try {
    hubListenAddress(text, 0)
  } catch {
    throw new InvalidArgumentError(`expected an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface), got ${JSON.stringify(text)}.`)
  }
  return text
}
