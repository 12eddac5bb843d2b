// Passing a request on to the manager's API over its private socket, and its answer back, both as
// streams: an image upload is not held in memory, the event stream flows as it comes. The client's
// address goes along in X-Forwarded-For, written over whatever the client sent (the manager trusts it
// because nothing but the front can open that socket); the other headers a proxy writes are not taken
// from a client either. Hop-by-hop headers stay on their own hop.
import { Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

const hopByHop = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade'];
const proxyWritten = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'];

function without(headers: IncomingHttpHeaders, names: ReadonlySet<string>): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !names.has(name)) kept[name] = value;
  return kept;
}

const notToTheManager = new Set([...hopByHop, ...proxyWritten]);
const notToTheClient = new Set(hopByHop);

export class Forwarder {
  /** Connections to the manager kept open between requests; as many at once as requests (an event stream holds one). */
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly socketPath: string) {}

  /** Answers the request with the manager's answer; 502 when the manager cannot be reached. */
  forward(request: FastifyRequest, reply: FastifyReply): void {
    void reply.hijack();
    const response = reply.raw;
    const body = request.body instanceof Readable ? request.body : request.raw;
    let answered = false;
    const outgoing = httpRequest(
      {
        agent: this.agent,
        socketPath: this.socketPath,
        method: request.method,
        path: request.raw.url,
        headers: { ...without(request.headers, notToTheManager), 'x-forwarded-for': request.socket.remoteAddress ?? 'unknown' },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.statusMessage, without(answer.headers, notToTheClient));
        answer.pipe(response);
        answer.on('end', () => {
          answered = true;
          // Answered before the whole body went on (413): the rest is read from the client and dropped,
          // so that its connection can carry its next request, and the manager's connection, which
          // expects the rest, is closed.
          if (!outgoing.writableFinished) {
            body.unpipe(outgoing);
            body.resume();
            outgoing.destroy();
          }
        });
        answer.on('error', () => response.destroy());
      },
    );
    outgoing.on('error', (error) => {
      if (answered) return;
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify({ error: `the manager's API did not answer: ${error.message}` }));
    });
    // A client that goes away (an event stream closed) ends its request to the manager too.
    response.on('close', () => {
      if (!response.writableFinished) outgoing.destroy();
    });
    // The body as the client sends it: the front's content parser hands the stream on unread.
    body.pipe(outgoing);
  }

  close(): void {
    this.agent.destroy();
  }
}
