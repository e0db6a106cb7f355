/**
 * Helpers for tests on a {@link SimulatedSwarm}: teardown that runs whether the test passed or failed
 * (a failed assertion must not leave managers, their timers and open requests alive for the rest of
 * the run), and advancing virtual time until something happened.
 */
import { onTestFinished } from 'vitest'
import { SimulatedSwarm, type SwarmInit } from '../../src/testing/swarm.js'
import type { VirtualClock } from '../../src/testing/virtual-clock.js'

/** Anything with an async `stop()`: a swarm, a manager, a node. */
export interface Stoppable { stop: () => Promise<void> }

/** Stop `it` when the running test finishes (passed or failed); returns `it`. Call it inside a test. */
export function stopAfterTest<T extends Stoppable> (it: T): T {
  onTestFinished(async () => { await it.stop() })
  return it
}

/** {@link SimulatedSwarm.create}, stopped when the running test finishes. */
export async function startSwarm (init: SwarmInit): Promise<SimulatedSwarm> {
  return stopAfterTest(await SimulatedSwarm.create(init))
}

/** Advance `clock` by `stepMs` at a time until `done()` (set by an event listener, say) holds. */
export async function advanceUntil (clock: VirtualClock, done: () => boolean, stepMs: number): Promise<void> {
  while (!done()) await clock.advance(stepMs)
}
