// One client's event stream over a real loopback HTTP connection: changes to the same thing are
// coalesced to the latest, a progress report keeps the timeline line it follows, and a queue past its
// limit is replaced by one `resync` telling the client to re-read.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { EventStream } from '../../src/interfaces/http/event-stream.ts';

let server: Server;
const streams: Array<Promise<EventStream>> = [];
let nextResponse: (response: ServerResponse) => void;

before(async () => {
  server = createServer((_request, response) => nextResponse(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  for (const stream of streams) (await stream).close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Opens a stream with the given queue limit; returns it and a reader of what the client received. */
async function open(queueLimit: number) {
  const opened = new Promise<EventStream>((resolve) => {
    nextResponse = (response) => resolve(new EventStream(response, { queueLimit, batchMs: 50, keepAliveMs: 60_000 }));
  });
  streams.push(opened);
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const stream = await opened;
  const reader = response.body!.getReader();
  let text = '';
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`stream ended before ${pattern}: ${text}`);
      text += new TextDecoder().decode(chunk.value);
    }
    return text;
  };
  return { stream, readUntil };
}

function frames(text: string, name: string): unknown[] {
  return [...text.matchAll(new RegExp(`event: ${name}\\ndata: (.*)\\n\\n`, 'g'))].map((m) => JSON.parse(m[1]!));
}

test('changes to one run are coalesced to the latest; its last timeline line survives a progress report', async () => {
  const { stream, readUntil } = await open(100);
  await readUntil(/event: hello/);
  const lastEvent = { kind: 'operationStarted', message: 'downloadSoftware started', cause: null, at: new Date().toISOString() };
  stream.send('runChanged', { runId: 'run-1', deviceId: 1, state: 'running', phase: 'upgrade', lastEvent });
  for (let progress = 10; progress <= 60; progress += 10)
    stream.send('runChanged', { runId: 'run-1', deviceId: 1, state: 'running', phase: 'upgrade', progress });
  stream.send('deviceChanged', { deviceId: 7 });
  stream.send('deviceChanged', { deviceId: 7 });
  const text = await readUntil(/"deviceId":7/);
  assert.deepEqual(frames(text, 'runChanged'), [{ runId: 'run-1', deviceId: 1, state: 'running', phase: 'upgrade', progress: 60, lastEvent }]);
  assert.equal(frames(text, 'deviceChanged').length, 1);
  assert.equal(stream.queued, 0);
});

test('past its limit the queue is dropped and the client told to resync, then changes flow again', async () => {
  const { stream, readUntil } = await open(5);
  await readUntil(/event: hello/);
  for (let n = 1; n <= 6; n++) stream.send('deviceChanged', { deviceId: n });
  assert.equal(stream.queued, 0, 'the sixth thing emptied the queue');
  let text = await readUntil(/event: resync/);
  assert.equal(frames(text, 'deviceChanged').length, 0, 'none of the dropped changes is sent');
  stream.send('deviceChanged', { deviceId: 99 });
  text = await readUntil(/"deviceId":99/);
  assert.deepEqual(frames(text, 'deviceChanged'), [{ deviceId: 99 }]);
  stream.close();
  assert.ok(stream.closed);
  stream.send('deviceChanged', { deviceId: 100 });
  assert.equal(stream.queued, 0, 'a closed stream queues nothing');
});
