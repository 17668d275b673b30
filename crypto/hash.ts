import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

const encoder = new TextEncoder()
const tagCache = new Map<string, Uint8Array>()

/** The bytes of a domain tag, e.g. `quorate/v1/block`, followed by a zero byte so no tag is a prefix of another. */
export function domainTag(tag: string): Uint8Array {
  let bytes = tagCache.get(tag)
  if (bytes === undefined) {
    const text = encoder.encode(tag)
    bytes = new Uint8Array(text.length + 1)
    bytes.set(text)
    tagCache.set(tag, bytes)
  }
  return bytes
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = nobleSha256.create()
  for (const part of parts) hash.update(part)
  return hash.digest()
}

/** SHA-256 over a domain tag and the given parts. Every hash in Quorate goes through this. */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  return sha256(domainTag(tag), ...parts)
}
