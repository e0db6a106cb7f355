import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AcceptReason, IgnoreReason, isRejectReason, RejectReason, type ValidationResult } from '../src/transport/coordinator.js'

const root = new URL('../', import.meta.url)
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8')

const exported: Record<ValidationResult, string[]> = {
  accept: Object.values(AcceptReason),
  ignore: Object.values(IgnoreReason),
  reject: Object.values(RejectReason)
}

/** The rows of PROTOCOL.md's reason table: `| **outcome** | `reason` | when |`. */
function documented (): Array<{ outcome: string, reason: string, when: string }> {
  const text = read('docs/PROTOCOL.md')
  const start = text.indexOf('## Validation outcomes')
  expect(start, 'PROTOCOL.md has a "Validation outcomes" section').toBeGreaterThanOrEqual(0)
  const end = text.indexOf('\n## ', start + 1)
  const section = text.slice(start, end === -1 ? undefined : end)
  const rows = []
  for (const line of section.split('\n')) {
    const row = /^\| \*\*(\w+)\*\* \| `([^`]+)` \| (.+) \|$/.exec(line)
    if (row !== null) rows.push({ outcome: row[1] as string, reason: row[2] as string, when: row[3] as string })
  }
  return rows
}

describe('verdict reasons', () => {
  it('PROTOCOL.md lists every exported reason under its outcome, and no other', () => {
    const rows = documented()
    for (const outcome of ['accept', 'ignore', 'reject'] as const) {
      const listed = rows.filter(r => r.outcome === outcome).map(r => r.reason)
      expect(new Set(listed).size, `${outcome} reasons listed once each`).toBe(listed.length)
      expect([...listed].sort(), `${outcome} reasons in PROTOCOL.md vs ${outcome} reasons exported`).toEqual([...exported[outcome]].sort())
    }
    expect(rows.filter(r => !(r.outcome in exported)).map(r => r.outcome)).toEqual([])
    for (const row of rows) expect(row.when.trim().length, `${row.outcome} ${row.reason} says when`).toBeGreaterThan(0)
  })

  it('a reason names one outcome only, except own and presence, which are accepted or ignored by where they arrive', () => {
    const accepted = new Set(exported.accept)
    const ignored = new Set(exported.ignore)
    expect(exported.ignore.filter(r => accepted.has(r)).sort()).toEqual(['own', 'presence'])
    expect(exported.reject.filter(r => accepted.has(r) || ignored.has(r))).toEqual([])
    for (const reason of [...exported.accept, ...exported.ignore, ...exported.reject]) expect(reason).toMatch(/^[a-z]+(-[a-z]+)*$/)
  })

  it('isRejectReason knows exactly the reject reasons', () => {
    for (const reason of exported.reject) expect(isRejectReason(reason)).toBe(true)
    for (const reason of [...exported.accept, ...exported.ignore, 'ack-conflict', '']) expect(isRejectReason(reason), reason).toBe(false)
  })

  it('every reason a message check throws is a reject reason (or algorithm-error, which is ignored)', () => {
    // the checks a message goes through on its way to a verdict: decoding, signatures, proposal and close checks
    const files = [
      ...readdirSync(new URL('src/wire/', root)).filter(f => f.endsWith('.ts')).map(f => `src/wire/${f}`),
      'src/core/context.ts',
      'src/core/verify-close.ts'
    ]
    const thrown = new Set<string>()
    for (const file of files) {
      for (const match of read(file).matchAll(/(?:InvalidMessageError\(|\bbad\()\s*'([a-z-]+)'/g)) thrown.add(match[1] as string)
    }
    expect(thrown.size).toBeGreaterThan(10)
    // bad-key and bad-signer are thrown only when this peer creates an identity or signs, never on the way in
    expect([...thrown].filter(reason => reason !== 'algorithm-error' && !isRejectReason(reason)).sort()).toEqual(['bad-key', 'bad-signer'])
  })
})
