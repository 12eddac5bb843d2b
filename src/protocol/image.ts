// Signed software images: the only thing a device agrees to write into its inactive bank.
//
// Layout (layout version 1, integers big-endian):
//
//   offset      size  field
//   0           5     magic "SFIMG"
//   5           1     layout version (1)
//   6           2     header length H (1..4096)
//   8           8     key id: first 8 bytes of SHA-256(SPKI DER) of the signing public key
//   16          H     header: UTF-8 JSON object (see ImageHeader), fields in a fixed order
//   16+H        P     payload, P = header.payloadLength
//   16+H+P      64    Ed25519 signature over  "safeflash-image-v1\0" || bytes[0, 16+H) || SHA-256(payload)
//
// Signing the payload's digest rather than the payload keeps the signed message small whatever the
// image size, and the header already commits to that digest. The device checks, in this order:
// structure, payload digest, signer, signature, model, all before touching its inactive bank.
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { ImageError } from './image/error.ts';
import { decodeHeader, encodeHeader, headerProblems, type ImageDescription, type ImageHeader } from './image/header.ts';
import { keyIdLength, keyIdOf } from './keys.ts';

export { ImageError, type ImageFailure } from './image/error.ts';
export { isBootable, maxPayloadLength, requiresReboot, type ImageDescription, type ImageHeader } from './image/header.ts';

export const imageMagic = Buffer.from('SFIMG', 'ascii');
export const imageLayoutVersion = 1;
const maxHeaderLength = 4096;
const signatureLength = 64;
const headerOffset = imageMagic.length + 1 + 2 + keyIdLength;
const signatureDomain = Buffer.from('safeflash-image-v1\0', 'ascii');

export function packImage(description: ImageDescription, payload: Buffer, privateKey: KeyObject): Buffer {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('images are signed with an Ed25519 private key');
  }
  const header: ImageHeader = {
    ...description,
    payloadSha256: sha256(payload).toString('hex'),
    payloadLength: payload.length,
  };
  const problems = headerProblems({ ...header });
  if (problems.length > 0) throw new RangeError(`cannot pack image: ${problems.join('; ')}`);
  const headerBytes = encodeHeader(header);
  if (headerBytes.length > maxHeaderLength) throw new RangeError(`cannot pack image: header longer than ${maxHeaderLength} bytes`);

  const prefix = Buffer.alloc(headerOffset);
  imageMagic.copy(prefix, 0);
  prefix.writeUInt8(imageLayoutVersion, imageMagic.length);
  prefix.writeUInt16BE(headerBytes.length, imageMagic.length + 1);
  keyIdOf(privateKey).copy(prefix, imageMagic.length + 3);
  const signed = Buffer.concat([prefix, headerBytes]);
  const signature = sign(null, signedMessage(signed, sha256(payload)), privateKey);
  return Buffer.concat([signed, payload, signature]);
}

export interface VerifiedImage {
  header: ImageHeader;
  payload: Buffer;
  /** Hex id of the trusted key that signed the image. */
  keyId: string;
}

export interface ReadImageOptions {
  trustedKeys: readonly KeyObject[];
  /** When given, an image for any other model is refused. */
  model?: string;
}

/** Verifies an image completely; throws ImageError naming the first check that failed. */
export function readImage(image: Buffer, options: ReadImageOptions): VerifiedImage {
  const parts = splitImage(image);
  const digest = sha256(parts.payload);
  if (digest.toString('hex') !== parts.header.payloadSha256) {
    throw new ImageError('corrupt', 'payload does not match the SHA-256 in the image header');
  }
  const signer = options.trustedKeys.find((key) => keyIdOf(key).equals(parts.keyId));
  if (!signer) {
    throw new ImageError('untrustedKey', `image is signed by key ${parts.keyId.toString('hex')}, which is not a trusted key`);
  }
  if (!verify(null, signedMessage(parts.signed, digest), signer, parts.signature)) {
    throw new ImageError('badSignature', `image signature does not verify with trusted key ${parts.keyId.toString('hex')}`);
  }
  if (options.model !== undefined && parts.header.model !== options.model) {
    throw new ImageError('wrongModel', `image is for model ${parts.header.model}, not ${options.model}`);
  }
  return { header: parts.header, payload: parts.payload, keyId: parts.keyId.toString('hex') };
}

/** Reads the header of a structurally whole image without checking digest or signature: for listings. */
export function inspectImageHeader(image: Buffer): ImageHeader {
  return splitImage(image).header;
}

/** Hex id of the key an image claims to be signed by (unverified). */
export function imageKeyId(image: Buffer): string {
  return splitImage(image).keyId.toString('hex');
}

interface ImageParts {
  /** Everything the signature covers directly: fixed prefix and header bytes. */
  signed: Buffer;
  keyId: Buffer;
  header: ImageHeader;
  payload: Buffer;
  signature: Buffer;
}

function splitImage(image: Buffer): ImageParts {
  const magicSeen = image.subarray(0, imageMagic.length);
  if (!magicSeen.equals(imageMagic.subarray(0, magicSeen.length))) {
    throw new ImageError('notAnImage', 'not a Safeflash image (no SFIMG magic)');
  }
  if (image.length < headerOffset) {
    throw new ImageError('truncated', `image is truncated: ${image.length} bytes, shorter than its ${headerOffset}-byte prefix`);
  }
  const layoutVersion = image.readUInt8(imageMagic.length);
  if (layoutVersion !== imageLayoutVersion) {
    throw new ImageError('notAnImage', `image layout version ${layoutVersion} is not one this build reads (${imageLayoutVersion})`);
  }
  const headerLength = image.readUInt16BE(imageMagic.length + 1);
  if (headerLength === 0 || headerLength > maxHeaderLength) {
    throw new ImageError('corrupt', `image header length ${headerLength} is outside 1..${maxHeaderLength}`);
  }
  const payloadOffset = headerOffset + headerLength;
  if (image.length < payloadOffset) {
    throw new ImageError('truncated', `image is truncated: ${image.length} bytes, its header ends at byte ${payloadOffset}`);
  }
  const header = decodeHeader(image.subarray(headerOffset, payloadOffset));
  const signatureOffset = payloadOffset + header.payloadLength;
  const expectedLength = signatureOffset + signatureLength;
  if (image.length < expectedLength) {
    throw new ImageError('truncated', `image is truncated: ${image.length} of ${expectedLength} bytes`);
  }
  if (image.length > expectedLength) {
    throw new ImageError('corrupt', `image has ${image.length - expectedLength} unexpected bytes after its signature`);
  }
  return {
    signed: image.subarray(0, payloadOffset),
    keyId: image.subarray(imageMagic.length + 3, headerOffset),
    header,
    payload: image.subarray(payloadOffset, signatureOffset),
    signature: image.subarray(signatureOffset),
  };
}

function signedMessage(signed: Buffer, payloadDigest: Buffer): Buffer {
  return Buffer.concat([signatureDomain, signed, payloadDigest]);
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}
