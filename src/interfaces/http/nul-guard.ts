// No name, id, reference or field of this API holds a NUL character, and PostgreSQL text cannot store
// one (it fails the query, which would answer 500). A request carrying one, in its path, its query or
// anywhere in its JSON body, is refused as bad input before any route sees it. A binary body (an image
// upload) is not text and is not looked into: NUL bytes are part of any image, and walking a buffer
// entry by entry took seconds and gigabytes for an image of a few mebibytes.
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './errors.ts';

export function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || depth > 64) return false;
  for (const [key, inner] of Object.entries(value)) if (key.includes('\u0000') || holdsNul(inner, depth + 1)) return true;
  return false;
}

export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    for (const [where, value] of [
      ['path', request.params],
      ['query', request.query],
      ['body', request.body],
    ] as const) {
      if (holdsNul(value)) throw new HttpProblem(400, `the request's ${where} holds a NUL character, which nothing in this API takes`);
    }
  });
}
