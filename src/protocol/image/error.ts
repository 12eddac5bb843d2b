// Why an image was refused, in words a device can put in its operation row and an operator can act on.

/**
 * - truncated: the image ends before its layout says it should (an interrupted transfer).
 * - notAnImage: no Safeflash image magic, or a layout this build does not read.
 * - corrupt: the layout is whole but a header field or the payload digest is wrong, or bytes trail the signature.
 * - untrustedKey: signed by a key that is not among the trusted ones.
 * - badSignature: the trusted key named by the image did not sign these bytes.
 * - wrongModel: a genuine image, for another model.
 */
export type ImageFailure = 'truncated' | 'notAnImage' | 'corrupt' | 'untrustedKey' | 'badSignature' | 'wrongModel';

export class ImageError extends Error {
  override name = 'ImageError';
  constructor(
    readonly reason: ImageFailure,
    message: string,
  ) {
    super(message);
  }
}
