/** Waiting helpers shared by the tests that run real peers. */

/** Resolve after `ms` milliseconds. */
export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Poll `condition` every 20 ms; throw, naming `what`, when it is still false after `timeoutMs`. */
export async function waitUntil (condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}
