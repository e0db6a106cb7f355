/**
 * The proposal id a catch-up `want` names: 32 zero bytes, in hex. No proposal has it (ids are
 * SHA-256 digests), so it can mean "the proofs of your recent decisions, whichever they are"; the
 * want's `ids` then list the decisions the asker already holds.
 */
export const CATCH_UP_PROPOSAL_ID = '0'.repeat(64)

/** Whether a want's `proposal` is {@link CATCH_UP_PROPOSAL_ID}: a catch-up request, not a pull of one proposal. */
export function isCatchUp (proposal: Uint8Array): boolean {
  if (proposal.byteLength !== 32) return false
  for (let i = 0; i < 32; i++) if (proposal[i] !== 0) return false
  return true
}
