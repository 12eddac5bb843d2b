// A TFTP client request the codec refuses (an empty name, a name with a NUL) fails without leaving its
// UDP socket open: found by the TFTP fuzz round, where each such upload kept a socket (and the process) alive.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { BufferBlockSource } from '../../src/protocol/tftp/block-source.ts';
import { MemorySink } from '../../src/protocol/tftp/block-sink.ts';
import { tftpReceive, tftpSend } from '../../src/protocol/tftp/client.ts';
import { TftpParseError } from '../../src/protocol/tftp/packet.ts';

const udpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;

test('a request with a name no packet can carry fails and closes its socket', async () => {
  const before = udpSockets();
  for (const file of ['', 'a\u0000b']) {
    await assert.rejects(tftpSend({ server: '127.0.0.1', port: 9, file, localAddress: '127.0.0.1' }, new BufferBlockSource(Buffer.from('x'))), TftpParseError);
    await assert.rejects(
      tftpReceive({ server: '127.0.0.1', port: 9, file, localAddress: '127.0.0.1', retry: { timeoutMs: 10 } }, new MemorySink()),
      TftpParseError,
    );
  }
  // A read keeps its socket a moment for a repeated last DATA; then every socket is gone.
  await delay(50);
  assert.equal(udpSockets(), before);
});
