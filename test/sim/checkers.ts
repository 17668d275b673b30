import { toHex } from '../../crypto/hex.js'
import { blockHash, txHash } from '../../ledger/hashing.js'
import type { Cluster, Violation } from './cluster.js'
import type { SimNode } from './sim-node.js'

/** Agreement: all honest nodes committed the same block hash and state root at every height they share. */
export function checkAgreement(cluster: Cluster): Violation[] {
  const honest = cluster.honestNodes
  const reference = longest(honest)
  const violations: Violation[] = []
  for (const node of honest) {
    for (let h = 0; h < node.committed.length; h++) {
      const mine = node.committed[h]!
      const theirs = reference.committed[h]!
      if (toHex(mine.hash) !== toHex(theirs.hash)) {
        violations.push({
          kind: 'agreement',
          detail: `height ${h + 1}: node ${node.id} and node ${reference.id} differ`,
        })
        break
      }
      if (toHex(node.stateRoots[h]!) !== toHex(reference.stateRoots[h]!)) {
        violations.push({
          kind: 'agreement',
          detail: `height ${h + 1}: state roots of ${node.id} and ${reference.id} differ`,
        })
        break
      }
    }
  }
  return violations
}

/** Validity: every committed block links to its parent and is certified by a valid QC for exactly it. */
export function checkValidity(cluster: Cluster): Violation[] {
  const violations: Violation[] = []
  for (const node of cluster.honestNodes) {
    let parentHash = cluster.chain.hash
    for (const { block, hash, qc } of node.committed) {
      const where = `node ${node.id} height ${block.header.height}`
      if (toHex(blockHash(block.header)) !== toHex(hash))
        violations.push({ kind: 'validity', detail: `${where}: hash` })
      if (toHex(block.header.parentHash) !== toHex(parentHash)) {
        violations.push({ kind: 'validity', detail: `${where}: does not link to its parent` })
      }
      if (
        toHex(qc.blockHash) !== toHex(hash) ||
        qc.view !== block.header.view ||
        !cluster.verifier.verifyQC(qc)
      ) {
        violations.push({ kind: 'validity', detail: `${where}: not certified by a valid QC` })
      }
      parentHash = hash
    }
  }
  return violations
}

/**
 * Clients: every acknowledged transfer executes once at most (and, when `requireAll`, exactly once), and no
 * honest leader ever proposes a transfer that is already in the chain (a malicious one may; executing it again
 * is a no-op with a 'duplicate' receipt).
 */
export function checkExactlyOnce(cluster: Cluster, requireAll: boolean): Violation[] {
  const reference = longest(cluster.honestNodes)
  const honestProposers = new Set(cluster.honestNodes.map((node) => node.index))
  const included = new Set<string>()
  const violations: Violation[] = []
  for (const { block } of reference.committed) {
    for (const tx of block.txs) {
      const key = toHex(txHash(tx))
      if (included.has(key) && honestProposers.has(block.header.proposer)) {
        violations.push({
          kind: 'exactly-once',
          detail: `honest leader ${block.header.proposer} proposed tx ${key.slice(0, 16)} again at height ${block.header.height}`,
        })
      }
      included.add(key)
    }
  }
  if (requireAll) {
    for (const hash of cluster.acknowledged) {
      if (!included.has(hash))
        violations.push({
          kind: 'exactly-once',
          detail: `acknowledged tx ${hash.slice(0, 16)} never committed`,
        })
    }
  }
  return violations
}

export function longest(nodes: readonly SimNode[]): SimNode {
  return nodes.reduce((a, b) => (a.committedHeight >= b.committedHeight ? a : b))
}

/** No honest validator stopped on a broken invariant (its process would have exited with code 1). */
export function checkRunning(cluster: Cluster): Violation[] {
  return cluster.honestNodes.flatMap((node) => {
    const failure = node.validator?.failure
    return failure === null || failure === undefined
      ? []
      : [{ kind: 'halted' as const, detail: `node ${node.id} stopped: ${failure.name}: ${failure.message}` }]
  })
}

/** Every safety checker; liveness is checked by the scenario runner, which knows when faults healed. */
export function checkSafety(cluster: Cluster): Violation[] {
  return [
    ...cluster.violations,
    ...checkRunning(cluster),
    ...checkAgreement(cluster),
    ...checkValidity(cluster),
    ...checkExactlyOnce(cluster, false),
  ]
}
