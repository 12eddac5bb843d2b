// A token given in the query string (the event stream's way) never reaches the logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { pino } from 'pino';
import { redactedUrl, requestLogSerializer } from '../../src/interfaces/http/request-log.ts';

test('redactedUrl masks every token parameter and nothing else', () => {
  assert.equal(redactedUrl('/api/events?token=sf.1.abc&x=2'), '/api/events?token=[redacted]&x=2');
  assert.equal(redactedUrl('/api/events?x=1&TOKEN=secret'), '/api/events?x=1&TOKEN=[redacted]');
  assert.equal(redactedUrl('/api/runs?limit=5'), '/api/runs?limit=5');
});

test('request log lines carry the URL without the token', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const app = Fastify({ loggerInstance: logger.child({}, { serializers: { req: requestLogSerializer } }) });
  app.get('/api/events', async () => 'ok');
  const reply = await app.inject({ method: 'GET', url: '/api/events?token=sf.7.very-secret-value' });
  assert.equal(reply.statusCode, 200);
  await app.close();
  const log = lines.join('');
  assert.match(log, /token=\[redacted\]/);
  assert.doesNotMatch(log, /very-secret-value/);
});
