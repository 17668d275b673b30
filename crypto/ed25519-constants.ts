// The numbers the Ed25519 rule is stated in (RFC 8032 §5.1). Both verification paths read them from here so
// they cannot disagree on a constant.

export const ed25519PublicKeyBytes = 32
/** A secret key is the 32-byte seed of RFC 8032 (not the 64-byte expanded form some libraries use). */
export const ed25519SecretKeyBytes = 32
export const ed25519SignatureBytes = 64

/** p = 2^255 − 19, the field prime: a canonical point encoding has y < p. */
export const ed25519FieldPrime = 2n ** 255n - 19n
/** L = 2^252 + 27742317777372353535851937790883648493, the prime order of the base point's subgroup. */
export const ed25519GroupOrder = 2n ** 252n + 27742317777372353535851937790883648493n

/** Reads bytes as an unsigned little-endian integer (Ed25519 encodes y, S and hash outputs that way). */
export function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let value = 0n
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!)
  return value
}
