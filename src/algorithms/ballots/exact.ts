/**
 * Exact arithmetic for scoring ballots: non-negative rationals over BigInt, an integer square root,
 * and decimal shares read from their shortest spelling. BigInt arithmetic is specified exactly by
 * ECMAScript, so every engine (every tab, every Node peer) gets the same bits.
 */

/** A non-negative rational n/d, d > 0 (not necessarily reduced). */
export interface Q { n: bigint, d: bigint }

/** The rational `n`. */
export const q = (n: bigint | number, d: bigint | number = 1n): Q => ({ n: BigInt(n), d: BigInt(d) })

/** Greatest common divisor. */
export function gcd (a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a < 0n ? -a : a
}

/** a + b, reduced. */
export function add (a: Q, b: Q): Q {
  if (a.d === b.d) return reduce({ n: a.n + b.n, d: a.d })
  return reduce({ n: a.n * b.d + b.n * a.d, d: a.d * b.d })
}

/** a × b, reduced. */
export function mul (a: Q, b: Q): Q {
  return reduce({ n: a.n * b.n, d: a.d * b.d })
}

/** a / b (b ≠ 0), reduced. */
export function div (a: Q, b: Q): Q {
  return reduce({ n: a.n * b.d, d: a.d * b.n })
}

/** The same value with n and d coprime. */
export function reduce (a: Q): Q {
  const g = gcd(a.n, a.d)
  return g <= 1n ? a : { n: a.n / g, d: a.d / g }
}

/** −1, 0 or 1 as a <, =, > b. */
export function cmp (a: Q, b: Q): number {
  const left = a.n * b.d
  const right = b.n * a.d
  return left < right ? -1 : left > right ? 1 : 0
}

/** The nearest double, for display. */
export function toNumber (a: Q): number {
  if (a.n === 0n) return 0
  // scale so both parts fit a double's exponent before dividing
  const shift = BigInt(Math.max(0, a.d.toString(2).length - 900, a.n.toString(2).length - 900))
  return Number(a.n >> shift) / Number(a.d >> shift)
}

/** ⌊√n⌋ for n ≥ 0, exactly (Newton's method on integers). */
export function isqrt (n: bigint): bigint {
  if (n < 2n) return n
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2))
  for (;;) {
    const y = (x + n / x) >> 1n
    if (y >= x) return x
    x = y
  }
}

/** Most decimal places a share may have. */
export const SHARE_DECIMALS = 6

/** Largest share. */
export const MAX_SHARE = 1e9

/** A share as an integer count of 10⁻⁶ units, read from its shortest decimal spelling (0.3 → 300000); `undefined` if it has no such spelling. */
export function shareUnits (share: number): bigint | undefined {
  if (!Number.isFinite(share) || share < 0 || share > MAX_SHARE) return undefined
  const text = share.toString()
  if (text.includes('e')) return undefined
  const [whole = '0', fraction = ''] = text.split('.')
  if (fraction.length > SHARE_DECIMALS) return undefined
  return BigInt(whole + fraction.padEnd(SHARE_DECIMALS, '0'))
}
