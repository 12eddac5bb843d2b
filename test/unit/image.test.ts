import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { ImageError, imageKeyId, inspectImageHeader, isBootable, packImage, readImage, requiresReboot, type ImageFailure } from '../../src/protocol/image.ts';
import { generateKeyPair, keyIdOf } from '../../src/protocol/keys.ts';

const vendor = generateKeyPair();
const stranger = generateKeyPair();
const payload = Buffer.from('IAD-2400 firmware 4.2.0 '.repeat(8));
const description = { model: 'IAD-2400', version: '4.2.0', configFormat: 2 };
const image = packImage(description, payload, vendor.privateKey);
const trust = { trustedKeys: [vendor.publicKey] };

function rejection(buffer: Buffer, options = trust): ImageFailure {
  try {
    readImage(buffer, options);
  } catch (error) {
    assert.ok(error instanceof ImageError, `expected ImageError, got ${String(error)}`);
    assert.ok(error.message.length > 10);
    return error.reason;
  }
  assert.fail('image was accepted');
}

function flipped(buffer: Buffer, offset: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[offset] = copy[offset]! ^ 0x01;
  return copy;
}

const headerStart = 16;
const payloadStart = image.indexOf(payload);

test('a packed image reads back with its header and payload', () => {
  const read = readImage(image, { ...trust, model: 'IAD-2400' });
  assert.deepEqual(read.payload, payload);
  assert.deepEqual(read.header, {
    ...description,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
    payloadLength: payload.length,
  });
  assert.equal(read.keyId, keyIdOf(vendor.publicKey).toString('hex'));
  assert.equal(requiresReboot(read.header), true);
  assert.equal(isBootable(read.header), true);
  assert.deepEqual(inspectImageHeader(image), read.header);
  assert.equal(imageKeyId(image), read.keyId);
});

test('packing is deterministic and the flags survive the round trip', () => {
  assert.deepEqual(packImage(description, payload, vendor.privateKey), image);
  const live = packImage({ ...description, rebootRequired: false, bootable: false }, Buffer.alloc(0), vendor.privateKey);
  const { header, payload: empty } = readImage(live, trust);
  assert.equal(requiresReboot(header), false);
  assert.equal(isBootable(header), false);
  assert.equal(empty.length, 0);
});

test('the image starts with its magic and layout version', () => {
  assert.equal(image.subarray(0, 5).toString('ascii'), 'SFIMG');
  assert.equal(image[5], 1);
  assert.equal(image.length, payloadStart + payload.length + 64);
});

test('a flipped payload byte is corrupt (digest mismatch)', () => {
  for (const offset of [payloadStart, payloadStart + 17, payloadStart + payload.length - 1]) {
    assert.equal(rejection(flipped(image, offset)), 'corrupt');
  }
});

test('a flipped byte in a header value breaks the signature', () => {
  // "4.2.0" -> "5.2.0": still a well-formed header, but not what the vendor signed.
  const versionAt = image.indexOf('"4.2.0"', headerStart) + 1;
  assert.equal(rejection(flipped(image, versionAt)), 'badSignature');
});

test('a flipped byte in the header structure is corrupt', () => {
  const braceAt = headerStart; // the header's opening "{"
  assert.equal(rejection(flipped(image, braceAt)), 'corrupt');
});

test('a flipped signature byte is a bad signature', () => {
  assert.equal(rejection(flipped(image, image.length - 5)), 'badSignature');
});

test('every cut of an image is truncated', () => {
  for (let length = 0; length < image.length; length++) {
    assert.equal(rejection(image.subarray(0, length)), 'truncated', `cut at ${length}`);
  }
});

test('bytes after the signature are corrupt', () => {
  assert.equal(rejection(Buffer.concat([image, Buffer.from([0])])), 'corrupt');
});

test('an image for another model is refused after its signature checks out', () => {
  assert.equal(rejection(image, { ...trust, model: 'IAD-800' } as typeof trust), 'wrongModel');
});

test('an image signed by an untrusted key is refused', () => {
  const forged = packImage(description, payload, stranger.privateKey);
  assert.equal(rejection(forged), 'untrustedKey');
  assert.equal(readImage(forged, { trustedKeys: [vendor.publicKey, stranger.publicKey] }).header.version, '4.2.0');
});

test('a signature by another key under the trusted key id is a bad signature', () => {
  const forged = packImage(description, payload, stranger.privateKey);
  keyIdOf(vendor.publicKey).copy(forged, 8);
  assert.equal(rejection(forged), 'badSignature');
});

test('files that are not images are refused as such', () => {
  for (const other of [Buffer.from('#!safeflash-config format=2\n'), Buffer.from('\x7fELF\x02\x01\x01'), Buffer.from('SFIMX-----------')]) {
    assert.equal(rejection(other), 'notAnImage');
  }
  const futureLayout = Buffer.from(image);
  futureLayout[5] = 2;
  assert.equal(rejection(futureLayout), 'notAnImage');
});

test('inspectImageHeader needs a whole structure but no trust', () => {
  const forged = packImage(description, payload, stranger.privateKey);
  assert.equal(inspectImageHeader(forged).model, 'IAD-2400');
  assert.throws(
    () => inspectImageHeader(image.subarray(0, 40)),
    (error: unknown) => error instanceof ImageError && error.reason === 'truncated',
  );
});

test('packing refuses bad descriptions and keys', () => {
  assert.throws(() => packImage({ ...description, model: '' }, payload, vendor.privateKey), /model/);
  assert.throws(() => packImage({ ...description, version: 'a b' }, payload, vendor.privateKey), /version/);
  assert.throws(() => packImage({ ...description, configFormat: 0 }, payload, vendor.privateKey), /configFormat/);
  assert.throws(() => packImage(description, payload, vendor.publicKey), /Ed25519 private key/);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  assert.throws(() => packImage(description, payload, rsa.privateKey), /Ed25519/);
});

test('any single flipped byte is rejected (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: image.length - 1 }), fc.integer({ min: 1, max: 255 }), (offset, mask) => {
      const copy = Buffer.from(image);
      copy[offset] = copy[offset]! ^ mask;
      assert.throws(() => readImage(copy, trust), ImageError);
    }),
    { numRuns: 300 },
  );
});
