import { InvalidParametersError } from '@libp2p/interface'
import type { CborValue } from '../types.js'

/** An exact fraction `[numerator, denominator]`, as pinned on the wire. */
export type Ratio = [num: number, den: number]

const MAX_DENOMINATOR = 1_000_000_000

function gcd (a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/**
 * Turn a threshold such as `0.7` into the exact fraction its decimal spelling denotes (7/10), so no
 * float comparison ever decides an outcome. Must lie in [0, 1).
 */
export function thresholdToRatio (threshold: number, what = 'threshold'): Ratio {
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold >= 1) {
    throw new InvalidParametersError(`${what} must be a number in [0, 1), got ${String(threshold)}`)
  }
  // Number#toString gives the shortest decimal that round-trips, e.g. 0.7 → "0.7", 1e-7 → "1e-7"
  const [mantissa, exponentText] = threshold.toString().split('e')
  const [, fraction = ''] = (mantissa ?? '0').split('.')
  const exponent = Number(exponentText ?? 0)
  const digits = fraction.length - exponent
  if (digits > 9) {
    throw new InvalidParametersError(`${what} ${threshold} has more than 9 decimal places; pass a coarser value`)
  }
  let den = 10 ** Math.max(digits, 0)
  let num = Math.round(threshold * den) || 0 // `|| 0` folds -0 into 0
  const divisor = gcd(num, den)
  num /= divisor
  den /= divisor
  return [num, den]
}

/** Check a ratio read from a proposal: two integers, 0 ≤ num < den ≤ 10⁹. */
export function parseRatio (value: CborValue | undefined, what = 'threshold'): Ratio {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidParametersError(`${what} must be [numerator, denominator]`)
  }
  const [num, den] = value
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || (num as number) < 0 ||
    (den as number) < 1 || (den as number) > MAX_DENOMINATOR || (num as number) >= (den as number)) {
    throw new InvalidParametersError(`${what} must be integers with 0 ≤ numerator < denominator ≤ ${MAX_DENOMINATOR}`)
  }
  return [num as number, den as number]
}

/** `part / total > num / den`, exactly (BigInt cross-multiplication). */
export function exceeds (part: number, total: number, [num, den]: Ratio): boolean {
  // a product of integers that comes out at most 2^53 − 1 is exact in a double; only larger ones need BigInt
  const left = part * den
  const right = num * total
  if (left <= Number.MAX_SAFE_INTEGER && right <= Number.MAX_SAFE_INTEGER) return left > right
  return BigInt(part) * BigInt(den) > BigInt(num) * BigInt(total)
}

/** The ratio as a float, for display only. */
export function ratioToNumber ([num, den]: Ratio): number {
  return num / den
}
