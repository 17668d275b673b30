// Both Ed25519 paths — node:crypto (`verify`, `verifyAsync`) and pure JS (`verifyReference`) — implement one
// rule (DESIGN §4) and must agree on every input, or two honest nodes could fork. Each case below is checked on
// all three entry points; what the rule says about it is asserted separately.
//
// Randomized parts use QUORATE_SEED (fixed default); a failure prints the seed that reproduces it.

import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hashes as nobleHashes, verify as nobleVerify, Point } from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ed25519FieldPrime,
  ed25519GroupOrder,
  generateKeyPair,
  InvalidPublicKeyError,
  isValidPublicKey,
  type KeyPair,
  keyPairFromSecret,
  littleEndianToBigInt,
  publicKeyRejection,
  registerPublicKey,
  sign,
  signatureRejection,
  verify,
  verifyAsync,
  verifyReference,
} from '../../crypto/index.js'

nobleHashes.sha512 = sha512

const seedDefault = 0x0ed2_5519
function testSeed(): number {
  const text = process.env.QUORATE_SEED
  if (text === undefined || text === '') return seedDefault
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new Error(`QUORATE_SEED must be an integer, got ${text}`)
  return seed | 0
}
const seed = testSeed()
const reproduce = `reproduce with QUORATE_SEED=${seed}`

/** mulberry32: tiny, seeded, good enough to choose mutations. */
function seededRandom(seedValue: number): () => number {
  let state = seedValue >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

function scalarBytes(value: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let rest = value
  for (let i = 0; i < 32; i++) {
    out[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return out
}

const L = ed25519GroupOrder
const mod = (value: bigint): bigint => ((value % L) + L) % L

/** k = SHA-512(R ‖ A ‖ M) mod L, computed here independently of both paths. */
function challenge(encodedR: Uint8Array, publicKey: Uint8Array, message: Uint8Array): bigint {
  return mod(littleEndianToBigInt(sha512(concat(encodedR, publicKey, message))))
}

/** The secret scalar a of RFC 8032 §5.1.5 (clamped), so tests can build signatures by hand. */
function secretScalar(secretKey: Uint8Array): bigint {
  const head = sha512(secretKey).slice(0, 32)
  head[0]! &= 248
  head[31]! &= 127
  head[31]! |= 64
  return mod(littleEndianToBigInt(head))
}

/** OpenSSL's verdict with no key check at all: what the rule would be without registration. */
function opensslWithoutKeyCheck(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const spki = concat(bytes('302a300506032b6570032100'), publicKey)
  const keyObject = crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
  return crypto.verify(null, message, keyObject, signature)
}

/** All three entry points on one input: they must agree; returns the common verdict. */
async function verdictOfAllPaths(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  label: string,
): Promise<boolean> {
  const fast = verify(signature, message, publicKey)
  const reference = verifyReference(signature, message, publicKey)
  const asynchronous = await verifyAsync(signature, message, publicKey)
  const detail = `${label}: sig=${hex(signature)} msg=${hex(message)} pk=${hex(publicKey)}`
  expect(reference, `verifyReference disagrees with verify on ${detail}`).toBe(fast)
  expect(asynchronous, `verifyAsync disagrees with verify on ${detail}`).toBe(fast)
  return fast
}

// RFC 8032 §7.1, Ed25519 test vectors.
const rfc8032Vectors = [
  {
    name: 'TEST 1',
    secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secretKey: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secretKey: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    secretKey: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    publicKey: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    message: [
      '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1',
      'e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d',
      '658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a',
      '7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e',
      '06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10',
      '3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1',
      '85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d',
      '502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270',
      '88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b',
      'eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba',
      'b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b',
      'e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7',
      '51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d',
      'cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df',
      'f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7',
      '984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4',
      '88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09',
      '43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f',
      'b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161',
      '0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d',
      'b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca',
      'c60c905c15fc910840b94c00a0b9d0',
    ].join(''),
    signature:
      '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    secretKey: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    publicKey: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    // SHA-512("abc"), checked below.
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
] as const

describe('RFC 8032 §7.1 test vectors', () => {
  it('embeds the vectors intact (TEST 1024 has 1023 bytes; SHA(abc) is SHA-512 of "abc")', () => {
    expect(bytes(rfc8032Vectors[3].message).length).toBe(1023)
    expect(rfc8032Vectors[4].message).toBe(hex(sha512(utf8('abc'))))
  })

  for (const vector of rfc8032Vectors) {
    it(`${vector.name}: derives the public key, signs byte for byte, and every path accepts`, async () => {
      const secretKey = bytes(vector.secretKey)
      const message = bytes(vector.message)
      expect(hex(keyPairFromSecret(secretKey).publicKey)).toBe(vector.publicKey)
      expect(hex(sign(message, secretKey))).toBe(vector.signature)
      const signature = bytes(vector.signature)
      const publicKey = bytes(vector.publicKey)
      expect(isValidPublicKey(publicKey)).toBe(true)
      expect(await verdictOfAllPaths(signature, message, publicKey, vector.name)).toBe(true)
      // One flipped message bit must fail everywhere.
      const tampered = message.length === 0 ? Uint8Array.of(0) : message.slice()
      if (message.length > 0) tampered[0]! ^= 1
      expect(await verdictOfAllPaths(signature, tampered, publicKey, `${vector.name} tampered`)).toBe(false)
    })
  }
})

interface SpeccheckCase {
  index: number
  msg: string
  pk: string
  sig: string
  S: string
  A_order: string
  R_order: string
  cofactored: string
  cofactorless: string
  comment: string
  speccheck_results: Record<string, string>
}
interface SpeccheckFile {
  source: string
  vectors: SpeccheckCase[]
  legacy15: { index: number; msg: string; pk: string; sig: string }[]
}

function loadSpeccheck(): SpeccheckFile {
  const path = new URL('./vectors/ed25519-speccheck.json', import.meta.url)
  return JSON.parse(readFileSync(path, 'utf8')) as SpeccheckFile
}

describe('ed25519-speccheck (Chalkias et al., "Taming the many EdDSAs")', () => {
  const speccheck = loadSpeccheck()

  it('has the expected shape: twelve labelled vectors of well-formed hex', () => {
    expect(speccheck.vectors).toHaveLength(12)
    speccheck.vectors.forEach((vector, position) => {
      expect(vector.index).toBe(position)
      expect(vector.pk).toMatch(/^[0-9a-f]{64}$/)
      expect(vector.sig).toMatch(/^[0-9a-f]{128}$/)
      expect(vector.msg).toMatch(/^(?:[0-9a-f]{2})*$/)
    })
  })

  for (const vector of loadSpeccheck().vectors) {
    it(`case ${vector.index} (${vector.comment}; A ${vector.A_order}, R ${vector.R_order}, ${vector.S}) is rejected by every path`, async () => {
      const publicKey = bytes(vector.pk)
      const signature = bytes(vector.sig)
      const message = bytes(vector.msg)
      expect(await verdictOfAllPaths(signature, message, publicKey, `speccheck ${vector.index}`)).toBe(false)
    })
  }

  it('rejects each case for the reason its labels give (A order, canonical encoding, S range)', () => {
    const expectedKeyReason: Record<string, RegExp | undefined> = {
      small: /small-order/,
      'small*': /non-canonical/,
      mixed: /prime-order subgroup/,
      L: undefined,
    }
    for (const vector of speccheck.vectors) {
      const label = `speccheck ${vector.index} (A ${vector.A_order})`
      const reason = publicKeyRejection(bytes(vector.pk))
      const expected = expectedKeyReason[vector.A_order]
      if (expected === undefined) {
        expect(reason, label).toBeUndefined()
        // A good key: then it is the signature's shape that fails (the file's S > L and S >> L cases).
        expect(vector.S, label).toMatch(/^S >/)
        expect(signatureRejection(bytes(vector.sig)), label).toMatch(/S is not below/)
      } else {
        expect(reason, label).toMatch(expected)
      }
    }
  })

  it('needs the registration check: OpenSSL alone accepts exactly the cases the file lists as OpenSSL-3.0 "V"', () => {
    for (const vector of speccheck.vectors) {
      const accepted = opensslWithoutKeyCheck(bytes(vector.sig), bytes(vector.msg), bytes(vector.pk))
      expect(accepted ? 'V' : 'X', `speccheck ${vector.index}`).toBe(vector.speccheck_results['OpenSSL-3.0'])
    }
  })

  it('also rejects all fifteen cases of the older speccheck set (legacy15) on every path', async () => {
    expect(speccheck.legacy15).toHaveLength(15)
    for (const vector of speccheck.legacy15) {
      const verdict = await verdictOfAllPaths(
        bytes(vector.sig),
        bytes(vector.msg),
        bytes(vector.pk),
        `legacy ${vector.index}`,
      )
      expect(verdict, `legacy15 case ${vector.index}`).toBe(false)
    }
  })
})

// An order-8 point (the encoding speccheck uses for its small-order A); its multiples are the whole torsion group.
const order8Point = Point.fromBytes(bytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'))
const torsionPoints = Array.from({ length: 8 }, (_, multiple) => order8Point.multiplyUnsafe(BigInt(multiple)))

function orderOfTorsionPoint(point: Point): number {
  let multiple = point
  for (let order = 1; order <= 8; order++) {
    if (multiple.is0()) return order
    multiple = multiple.add(point)
  }
  throw new Error('not a torsion point')
}

/** Grinds messages until k = H(R ‖ A ‖ M) is a multiple of `order`, so [k]T vanishes for T of that order. */
function messageKillingTorsion(
  encodedR: Uint8Array,
  publicKey: Uint8Array,
  order: number,
  tag: string,
): Uint8Array {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const message = utf8(`${tag}/${attempt}`)
    if (challenge(encodedR, publicKey, message) % BigInt(order) === 0n) return message
  }
  throw new Error('no message found')
}

const honest: KeyPair = keyPairFromSecret(
  bytes('0101010101010101010101010101010101010101010101010101010101010101'),
)
const honestPoint = Point.fromBytes(honest.publicKey)
const honestScalar = secretScalar(honest.secretKey)

/** Every y in [p, 2^255) with either sign bit, and the two x = 0 points with the sign bit set. */
const nonCanonicalEncodings: Uint8Array[] = []
for (let y = ed25519FieldPrime; y < 2n ** 255n; y++) {
  nonCanonicalEncodings.push(scalarBytes(y))
  nonCanonicalEncodings.push(scalarBytes(y + 2n ** 255n))
}
nonCanonicalEncodings.push(bytes('0100000000000000000000000000000000000000000000000000000000000080'))
nonCanonicalEncodings.push(bytes('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'))

describe('small-order public keys (the eight torsion points)', () => {
  it('the constructed torsion group has eight distinct points of orders 1, 2, 4, 4, 8, 8, 8, 8', () => {
    const encodings = new Set(torsionPoints.map((point) => hex(point.toBytes())))
    expect(encodings.size).toBe(8)
    expect(torsionPoints.map(orderOfTorsionPoint).sort()).toEqual([1, 2, 4, 4, 8, 8, 8, 8])
  })

  torsionPoints.forEach((point, multiple) => {
    const publicKey = point.toBytes()
    it(`[${multiple}]T (${hex(publicKey).slice(0, 8)}…) cannot register, and a signature satisfying the equation for it fails everywhere`, async () => {
      expect(isValidPublicKey(publicKey)).toBe(false)
      expect(() => registerPublicKey(publicKey)).toThrow(InvalidPublicKeyError)
      expect(() => registerPublicKey(publicKey)).toThrow(multiple === 0 ? /identity/ : /small-order/)
      // R = identity, S = 0: [0]B − [k]T = identity whenever ord(T) divides k.
      const identityR = Point.ZERO.toBytes()
      const message = messageKillingTorsion(
        identityR,
        publicKey,
        orderOfTorsionPoint(point),
        `small-${multiple}`,
      )
      const signature = concat(identityR, new Uint8Array(32))
      expect(opensslWithoutKeyCheck(signature, message, publicKey), 'the equation holds').toBe(true)
      expect(await verdictOfAllPaths(signature, message, publicKey, `small-order key ${multiple}`)).toBe(
        false,
      )
    })
  })
})

describe('mixed-order public keys (honest key + torsion point)', () => {
  torsionPoints.slice(1).forEach((torsion, position) => {
    const order = orderOfTorsionPoint(torsion)
    it(`A + [${position + 1}]T (order ${order} component) cannot register, even with a signature satisfying the equation`, async () => {
      const mixed = honestPoint.add(torsion)
      const publicKey = mixed.toBytes()
      expect(publicKeyRejection(publicKey)).toMatch(/prime-order subgroup/)
      expect(() => registerPublicKey(publicKey)).toThrow(InvalidPublicKeyError)
      // S = r + k·a with k ≡ 0 mod ord(T): [S]B − [k](A + T) = R, so only the key check can refuse it.
      const r = 0x1234_5678n + BigInt(position)
      const encodedR = Point.BASE.multiply(r).toBytes()
      const message = messageKillingTorsion(encodedR, publicKey, order, `mixed-${position}`)
      const s = mod(r + challenge(encodedR, publicKey, message) * honestScalar)
      const signature = concat(encodedR, scalarBytes(s))
      expect(opensslWithoutKeyCheck(signature, message, publicKey), 'the equation holds').toBe(true)
      expect(await verdictOfAllPaths(signature, message, publicKey, `mixed-order key ${position}`)).toBe(
        false,
      )
    })
  })
})

describe('R values with a torsion component, small order, or a non-canonical encoding (honest key)', () => {
  const message = utf8('quorate R checks')

  it('R = [r]B + T fails everywhere (cofactorless), though a cofactored verifier (noble) accepts it', async () => {
    for (const [position, torsion] of torsionPoints.slice(1).entries()) {
      const r = 0xabcdefn + BigInt(position)
      const encodedR = Point.BASE.multiply(r).add(torsion).toBytes()
      const s = mod(r + challenge(encodedR, honest.publicKey, message) * honestScalar)
      const signature = concat(encodedR, scalarBytes(s))
      expect(nobleVerify(signature, message, honest.publicKey, { zip215: false }), 'cofactored accepts').toBe(
        true,
      )
      expect(await verdictOfAllPaths(signature, message, honest.publicKey, `torsion R ${position}`)).toBe(
        false,
      )
    }
  })

  it('R = identity with S = k·a satisfies the equation and passes everywhere (the rule allows a small-order R)', async () => {
    const identityR = Point.ZERO.toBytes()
    const s = mod(challenge(identityR, honest.publicKey, message) * honestScalar)
    const signature = concat(identityR, scalarBytes(s))
    expect(await verdictOfAllPaths(signature, message, honest.publicKey, 'identity R')).toBe(true)
  })

  it('R = any other small-order point never passes (the equation yields a prime-order point)', async () => {
    for (const [position, torsion] of torsionPoints.slice(1).entries()) {
      const encodedR = torsion.toBytes()
      const s = mod(challenge(encodedR, honest.publicKey, message) * honestScalar)
      const signature = concat(encodedR, scalarBytes(s))
      expect(await verdictOfAllPaths(signature, message, honest.publicKey, `small R ${position}`)).toBe(false)
    }
  })

  it('every non-canonical R (y >= p, or x = 0 with the sign bit) fails everywhere', async () => {
    for (const encodedR of nonCanonicalEncodings) {
      const s = mod(challenge(encodedR, honest.publicKey, message) * honestScalar)
      const signature = concat(encodedR, scalarBytes(s))
      expect(
        await verdictOfAllPaths(signature, message, honest.publicKey, `non-canonical R ${hex(encodedR)}`),
      ).toBe(false)
    }
  })

  it('non-canonical encodings of the identity as R fail everywhere (byte comparison), though ZIP-215 accepts them', async () => {
    const nonCanonicalIdentities = [
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p + 1
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // y = p + 1, sign bit set
      '0100000000000000000000000000000000000000000000000000000000000080', // x = 0 with the sign bit set
    ]
    for (const text of nonCanonicalIdentities) {
      const encodedR = bytes(text)
      const s = mod(challenge(encodedR, honest.publicKey, message) * honestScalar)
      const signature = concat(encodedR, scalarBytes(s))
      expect(nobleVerify(signature, message, honest.publicKey), 'ZIP-215 (noble default) accepts').toBe(true)
      expect(await verdictOfAllPaths(signature, message, honest.publicKey, `non-canonical R ${text}`)).toBe(
        false,
      )
    }
  })
})

describe('non-canonical public key encodings', () => {
  it(`all ${nonCanonicalEncodings.length} are refused at registration as non-canonical, and fail every path`, async () => {
    const message = utf8('non-canonical key')
    for (const publicKey of nonCanonicalEncodings) {
      expect(publicKeyRejection(publicKey), hex(publicKey)).toMatch(/non-canonical/)
      expect(() => registerPublicKey(publicKey)).toThrow(InvalidPublicKeyError)
      // R = identity, S = 0 satisfies the equation for the identity and order-2 keys these may reduce to.
      const signature = concat(Point.ZERO.toBytes(), new Uint8Array(32))
      expect(
        await verdictOfAllPaths(signature, message, publicKey, `non-canonical key ${hex(publicKey)}`),
      ).toBe(false)
    }
  })
})

describe('signature shape: 64 bytes, S < L', () => {
  const message = utf8('S range')
  const signature = sign(message, honest.secretKey)
  const s = littleEndianToBigInt(signature.subarray(32))
  const withS = (value: bigint): Uint8Array => concat(signature.subarray(0, 32), scalarBytes(value))

  it('the honest signature passes; S + L, S + 8L, L and 2^256 − 1 fail everywhere', async () => {
    expect(await verdictOfAllPaths(signature, message, honest.publicKey, 'honest')).toBe(true)
    const cases = {
      'S + L': s + L,
      'S + 8L': s + 8n * L,
      L: L,
      'L - 1 (in range)': L - 1n,
      '2^256 - 1': 2n ** 256n - 1n,
    }
    for (const [name, value] of Object.entries(cases)) {
      const verdict = await verdictOfAllPaths(withS(value), message, honest.publicKey, name)
      expect(verdict, name).toBe(false)
    }
    // OpenSSL also refuses S + L on its own; our explicit check makes that not depend on it.
    expect(opensslWithoutKeyCheck(withS(s + L), message, honest.publicKey)).toBe(false)
  })

  it('wrong lengths and non-byte inputs give false on every path and never throw', async () => {
    for (const length of [0, 1, 32, 63, 65, 128]) {
      const other = new Uint8Array(length)
      other.set(signature.subarray(0, Math.min(length, 64)))
      expect(await verdictOfAllPaths(other, message, honest.publicKey, `signature of ${length} bytes`)).toBe(
        false,
      )
    }
    for (const length of [0, 31, 33, 64]) {
      const key = new Uint8Array(length)
      key.set(honest.publicKey.subarray(0, Math.min(length, 32)))
      expect(await verdictOfAllPaths(signature, message, key, `key of ${length} bytes`)).toBe(false)
    }
    const notBytes = [undefined, null, 'ab', 42, {}, [1, 2, 3]] as unknown as Uint8Array[]
    for (const value of notBytes) {
      expect(verify(value, message, honest.publicKey)).toBe(false)
      expect(verify(signature, value, honest.publicKey)).toBe(false)
      expect(verify(signature, message, value)).toBe(false)
      expect(verifyReference(value, message, honest.publicKey)).toBe(false)
      expect(verifyReference(signature, value, honest.publicKey)).toBe(false)
      expect(verifyReference(signature, message, value)).toBe(false)
      expect(await verifyAsync(value, message, honest.publicKey)).toBe(false)
      expect(await verifyAsync(signature, message, value)).toBe(false)
      expect(isValidPublicKey(value)).toBe(false)
    }
  })
})

describe('honest signatures', () => {
  it('any seed and any message: sign, then every path accepts (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        async (secretKey, message) => {
          const keyPair = keyPairFromSecret(secretKey)
          const signature = sign(message, secretKey)
          return verdictOfAllPaths(signature, message, keyPair.publicKey, 'honest property')
        },
      ),
      { seed, numRuns: 100 },
    )
  })

  it('generateKeyPair gives registered keys whose signatures verify', async () => {
    const keyPair = generateKeyPair()
    expect(keyPair.secretKey).toHaveLength(32)
    expect(isValidPublicKey(keyPair.publicKey)).toBe(true)
    const message = utf8('fresh key')
    expect(
      await verdictOfAllPaths(sign(message, keyPair.secretKey), message, keyPair.publicKey, 'fresh'),
    ).toBe(true)
  })
})

describe('random mutations of honest signatures', () => {
  const mutationCount = 10_000

  type Triple = { signature: Uint8Array; message: Uint8Array; publicKey: Uint8Array }
  const mutationTargets = [
    ...Array<'signature'>(4).fill('signature'),
    ...Array<'publicKey'>(3).fill('publicKey'),
    ...Array<'message'>(2).fill('message'),
    'swap' as const,
  ]

  function mutateBytes(input: Uint8Array, random: () => number): { output: Uint8Array; how: string } {
    const pick = (n: number): number => Math.floor(random() * n)
    const output = input.slice()
    const choice = pick(10)
    if (input.length === 0 || choice === 9) {
      const grown = new Uint8Array(input.length + 1)
      grown.set(input)
      grown[input.length] = pick(256)
      return { output: grown, how: 'append a byte' }
    }
    if (choice === 8) return { output: input.slice(0, input.length - 1), how: 'drop the last byte' }
    if (choice <= 4) {
      const bit = pick(input.length * 8)
      output[bit >> 3]! ^= 1 << (bit & 7)
      return { output, how: `flip bit ${bit}` }
    }
    if (choice <= 6) {
      const position = pick(input.length)
      output[position] = pick(256)
      return { output, how: `set byte ${position}` }
    }
    const flips = 2 + pick(6)
    for (let i = 0; i < flips; i++) {
      const bit = pick(input.length * 8)
      output[bit >> 3]! ^= 1 << (bit & 7)
    }
    return { output, how: `flip ${flips} bits` }
  }

  it(`${mutationCount} mutations: all paths agree on each, and a triple passes exactly when unchanged`, async () => {
    const random = seededRandom(seed)
    const pick = (n: number): number => Math.floor(random() * n)
    const keyPairs = Array.from({ length: 8 }, () =>
      keyPairFromSecret(Uint8Array.from({ length: 32 }, () => pick(256))),
    )
    const honestTriples: Triple[] = Array.from({ length: 64 }, () => {
      const keyPair = keyPairs[pick(keyPairs.length)]!
      const message = Uint8Array.from({ length: pick(200) }, () => pick(256))
      return { signature: sign(message, keyPair.secretKey), message, publicKey: keyPair.publicKey }
    })

    // Failures are collected rather than asserted one by one: the report then lists every disagreement.
    const failures: string[] = []
    let accepted = 0
    // Batches keep each mutated key in the verdict cache between the sync and the async pass.
    const batchLength = 500
    for (let batchStart = 0; batchStart < mutationCount; batchStart += batchLength) {
      const batch: { triple: Triple; label: string; fast: boolean }[] = []
      for (let iteration = batchStart; iteration < batchStart + batchLength; iteration++) {
        const original = honestTriples[pick(honestTriples.length)]!
        // Weighted towards the signature and key bytes, where the two paths' checks differ most; a changed
        // message only changes k. (The reference path costs ~1.5 ms a call: this keeps the loop near 15 s.)
        const target = mutationTargets[pick(mutationTargets.length)]!
        let triple: Triple
        let how: string
        if (target === 'swap') {
          // Another honest key or message: well-formed, so only the equation can say no.
          const other = honestTriples[pick(honestTriples.length)]!
          triple =
            random() < 0.5
              ? { ...original, publicKey: other.publicKey }
              : { ...original, message: other.message }
          how = 'swap in another key or message'
        } else {
          const mutation = mutateBytes(original[target], random)
          triple = { ...original, [target]: mutation.output }
          how = `${target}: ${mutation.how}`
        }
        const label = `mutation ${iteration} (${how}) sig=${hex(triple.signature)} msg=${hex(triple.message)} pk=${hex(triple.publicKey)}`
        const unchanged =
          hex(triple.signature) === hex(original.signature) &&
          hex(triple.message) === hex(original.message) &&
          hex(triple.publicKey) === hex(original.publicKey)
        const fast = verify(triple.signature, triple.message, triple.publicKey)
        const reference = verifyReference(triple.signature, triple.message, triple.publicKey)
        if (reference !== fast) failures.push(`verifyReference says ${reference}, verify ${fast}: ${label}`)
        // Strict Ed25519 is strongly unforgeable: a triple passes exactly when the mutation changed nothing.
        if (fast !== unchanged)
          failures.push(`${unchanged ? 'honest triple rejected' : 'mutant accepted'}: ${label}`)
        if (fast) accepted++
        batch.push({ triple, label, fast })
      }
      const asyncVerdicts = await Promise.all(
        batch.map(({ triple }) => verifyAsync(triple.signature, triple.message, triple.publicKey)),
      )
      batch.forEach(({ label, fast }, position) => {
        if (asyncVerdicts[position] !== fast) failures.push(`verifyAsync disagrees with verify: ${label}`)
      })
    }
    expect(failures.slice(0, 20), `${failures.length} failures; ${reproduce}`).toEqual([])
    // Most mutations change something; if nearly all passed, the loop would not be testing much.
    expect(accepted, reproduce).toBeLessThan(mutationCount / 10)
  })
})
