// How a request appears in the JSON logs. The event stream takes its token in the query string
// (EventSource cannot send headers), so every URL is logged with that parameter's value masked.
import type { FastifyRequest } from 'fastify';

export function redactedUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

export function requestLogSerializer(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactedUrl(request.url),
    host: request.headers.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
