/**
 * The commit rule: how many certified blocks in consecutive views commit the first of them (docs/protocol.md,
 * "Commit rules"). `three-chain` is chained HotStuff's (with its lock on the certified block's justify);
 * `two-chain` is Jolteon's (DiemBFT v4), whose voting rule after a timeout reads the TC's high-QC views instead
 * of a lock. A chain parameter: it decides which height a header's stateRoot follows, so every validator of a
 * chain applies the same one.
 */
export type CommitRule = 'two-chain' | 'three-chain'

export const commitRules: readonly CommitRule[] = ['two-chain', 'three-chain']

/** `value` as a commit rule, or undefined when it names none (genesis files, command-line flags). */
export function asCommitRule(value: unknown): CommitRule | undefined {
  return commitRules.find((rule) => rule === value)
}

/** The number of certified blocks in consecutive views that commit the first of them. */
export function chainLength(rule: CommitRule): 2 | 3 {
  return rule === 'two-chain' ? 2 : 3
}

/**
 * True when the first `chainLength(rule)` of `viewsHighestFirst` (a certified block's view, then its parent's,
 * then its grandparent's) are consecutive: a QC for the block then commits its ancestor chainLength − 1 below.
 */
export function isCommittingChain(rule: CommitRule, viewsHighestFirst: readonly number[]): boolean {
  const length = chainLength(rule)
  if (viewsHighestFirst.length < length) return false
  for (let i = 1; i < length; i++) {
    if (viewsHighestFirst[i - 1] !== viewsHighestFirst[i]! + 1) return false
  }
  return true
}
