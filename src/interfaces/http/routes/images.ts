// /api/images: signed software images. The body of a POST is the image file itself.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { maxPayloadLength } from '../../../protocol/image.ts';
import { HttpProblem, notFound } from '../errors.ts';
import { tokenHolder } from '../auth.ts';
import { errorResponses } from '../schemas.ts';
import type { ApiServices } from '../services.ts';
import type { ImageRecord } from '../../../manager/store/records.ts';

/** Room for the header and signature around the largest payload an image may carry. */
const imageBodyLimit = maxPayloadLength + 1024 * 1024;

export const noTrustedKeyMessage =
  "no trusted vendor key: the manager cannot check any image; restart it with `safeflash serve --trusted-key FILE` (a PREFIX.pub from `safeflash keygen`, or the vendor's public key)";

/** The image a full SHA-256, or a prefix of it only one image has, names; or a 404. */
export async function imageNamed(services: ApiServices, reference: string): Promise<ImageRecord> {
  if (reference.length === 64) {
    const image = await services.files.image(reference);
    if (image) return image;
  } else {
    const matches = (await services.files.listImages()).filter((i) => i.sha256.startsWith(reference));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new HttpProblem(400, `${matches.length} images start with ${reference}; give more digits`);
  }
  throw notFound('image', reference);
}

export function registerImageRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get(
    '/api/images',
    {
      schema: { summary: 'List the images the manager serves', tags: ['images'], response: { 200: { type: 'array', items: { $ref: 'Image#' } } } },
    },
    async () => services.files.listImages(),
  );

  app.get<{ Params: { sha256: string } }>(
    '/api/images/:sha256',
    {
      schema: {
        summary: 'One image',
        tags: ['images'],
        params: { type: 'object', properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{8,64}$' } } },
        response: { 200: { $ref: 'Image#' }, ...errorResponses },
      },
    },
    async (request) => imageNamed(services, request.params.sha256),
  );

  app.post<{ Body: Buffer }>(
    '/api/images',
    {
      bodyLimit: imageBodyLimit,
      schema: {
        summary: 'Add a signed image (body: the image file, application/octet-stream); checked against the trusted vendor keys',
        tags: ['images'],
        consumes: ['application/octet-stream'],
        response: { 200: { $ref: 'Image#' }, 201: { $ref: 'Image#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw new HttpProblem(415, 'send the image file as application/octet-stream');
      if (request.body.length === 0) throw new HttpProblem(400, 'the image is empty');
      if (services.trustedKeyCount === 0) throw new HttpProblem(409, noTrustedKeyMessage);
      const sha256 = createHash('sha256').update(request.body).digest('hex');
      const known = await services.files.image(sha256);
      if (known) return reply.status(200).send(known);
      try {
        const image = await services.files.addImage(request.body, tokenHolder(request.access));
        services.metrics.imagesAdded.inc();
        return reply.status(201).send(image);
      } catch (error) {
        const reason = (error as { reason?: unknown }).reason;
        if ((error as Error).name === 'ImageError') services.metrics.imagesRefused.inc({ reason: typeof reason === 'string' ? reason : 'unknown' });
        throw error;
      }
    },
  );

  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: imageBodyLimit }, (_request, body, done) => done(null, body));
}
