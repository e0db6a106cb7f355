/**
 * A live proposal as people read it: its payload is a record whose `title` and `description` are
 * shown as such; every other field (what an agent acts on, e.g. `{ action, version, target }`) is
 * the payload's "advanced" part, shown as JSON on request.
 */
import type { CborRecord, CborValue } from '../../../src/index.js'

/** The longest title and description the propose form takes (the whole payload must fit the message limit anyway). */
export const MAX_TITLE = 120
export const MAX_DESCRIPTION = 2000

const text = (value: CborValue | undefined): string | undefined => typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined

/** The title: the payload's `title`, else its `action`, else a generic one. */
export function titleOf (payload: CborRecord): string {
  return text(payload.title) ?? text(payload.action) ?? 'Untitled proposal'
}

/** The description, or nothing. */
export function descriptionOf (payload: CborRecord): string {
  return text(payload.description) ?? ''
}

/** The fields besides title and description. */
export function advancedOf (payload: CborRecord): CborRecord {
  const { title: _title, description: _description, ...rest } = payload
  return rest
}

/** JSON of a payload for display (bytes as their length: they have no JSON form). */
export function payloadJson (payload: CborRecord): string {
  const plain = (_key: string, value: unknown): unknown =>
    value instanceof Uint8Array ? `<${value.length} bytes>` : typeof value === 'bigint' ? String(value) : value
  return JSON.stringify(payload, plain, 2)
}

/**
 * The payload a user proposes: title and description from their fields, the rest from the advanced
 * JSON (a record). Throws a `SyntaxError` or `TypeError` saying what is wrong.
 */
export function buildPayload (title: string, description: string, advancedJson: string): CborRecord {
  const trimmed = title.trim()
  if (trimmed === '') throw new TypeError('a proposal needs a title')
  if (trimmed.length > MAX_TITLE) throw new TypeError(`the title is ${trimmed.length} characters; at most ${MAX_TITLE}`)
  if (description.length > MAX_DESCRIPTION) throw new TypeError(`the description is ${description.length} characters; at most ${MAX_DESCRIPTION}`)
  const advanced: unknown = advancedJson.trim() === '' ? {} : JSON.parse(advancedJson)
  if (advanced === null || typeof advanced !== 'object' || Array.isArray(advanced)) {
    throw new TypeError('the advanced payload must be a JSON object, e.g. { "action": "deploy" }')
  }
  return { ...(advanced as CborRecord), title: trimmed, ...(description.trim() === '' ? {} : { description: description.trim() }) }
}
