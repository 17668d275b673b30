// crypto/: Ed25519 under one validation rule, hashing, Merkle trees, key files.
// ed25519-node.ts is internal (raw OpenSSL calls that skip the key check) and is not re-exported.

export * from './ed25519.js'
export * from './ed25519-checks.js'
export * from './ed25519-constants.js'
export * from './ed25519-reference.js'
export * from './hash.js'
export * from './hex.js'
export * from './keyfile.js'
export * from './merkle.js'
export * from './signature-verifier.js'
