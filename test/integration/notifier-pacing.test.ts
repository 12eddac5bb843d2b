// The device's progress notifications are paced: at most one per operation per interval, the latest
// waiting for the interval's end, none once the operation completed. Real notifications (SNMPv2c
// informs) from the device's notifier to a real receiver on loopback; the device's events are played
// by a small emitter so that the test decides how fast progress comes.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import { Notifier } from '../../src/agent/snmp/notifier.ts';
import { safeflashPersonality } from '../../src/agent/snmp/safeflash-personality.ts';
import type { DeviceEvents } from '../../src/agent/types.ts';
import type { Operation } from '../../src/protocol/safeflash-mib/operation-row.ts';
import { oid } from '../../src/protocol/mib.ts';
import { NotificationReceiver, type ReceivedNotification } from '../../src/protocol/snmp/receiver.ts';
import { numberValue } from '../../src/protocol/snmp/varbind.ts';
import { pollFor, randomDeviceAddress, startSnmpDevice, testCommunity, v2c, type SnmpDevice } from '../helpers/snmp-device.ts';

let device: SnmpDevice;
let receiver: NotificationReceiver;
const received: ReceivedNotification[] = [];

before(async () => {
  device = await startSnmpDevice();
  receiver = await NotificationReceiver.start({ address: '127.0.0.1', port: 0, communities: [testCommunity] });
  receiver.on('notification', (n) => received.push(n));
});

after(async () => {
  await receiver.close();
  await device.close();
});

/** A device whose operation events the test emits itself; its status is a real device's, notifying the receiver. */
class PlayedDevice extends EventEmitter<DeviceEvents> {
  status() {
    return { ...device.device.status(), notifyTarget: receiver.endpoint };
  }
}

function operation(index: number, progress: number, state: Operation['state'] = 'running'): Operation {
  return {
    index,
    request: {
      type: 'downloadSoftware',
      protocol: 'tftp',
      server: { address: '127.0.0.1', port: 69 },
      fileName: 'f',
      username: '',
      password: '',
      notifyTarget: undefined,
    },
    state,
    progress,
    failCause: 'none',
    failMessage: '',
    startedAt: new Date(),
    finishedAt: state === 'running' ? undefined : new Date(),
  };
}

async function play(progressIntervalMs: number, index: number, steps: number[], complete: boolean) {
  const played = new PlayedDevice();
  const notifier = new Notifier({
    device: played,
    face: safeflashPersonality.face(device.device),
    sourceAddress: randomDeviceAddress(),
    engineId: Buffer.from('8000000001020304', 'hex'),
    security: v2c,
    progressIntervalMs,
  });
  for (const step of steps) played.emit('operationProgress', operation(index, step));
  if (complete) played.emit('operationCompleted', operation(index, 100, 'successful'));
  return { played, notifier };
}

/** The progress values of the progress notifications the receiver took in for operation `index`. */
function progressOf(index: number): number[] {
  const progress = oid('sfOpProgressNotification');
  return received
    .filter((n) => n.notification === progress && n.varbinds.some((v) => v.oid.endsWith(`.${index}`)))
    .map((n) => numberValue(n.varbinds.find((v) => v.oid.startsWith(`${oid('sfOpProgress')}.`))!));
}

const completions = (index: number) =>
  received.filter((n) => n.notification === oid('sfOpCompletionNotification') && n.varbinds.some((v) => v.oid.endsWith(`.${index}`))).length;

test('steps within one interval send the first progress only; the completion still goes', async () => {
  const { notifier } = await play(60_000, 11, [10, 20, 30, 40, 50], true);
  await pollFor(async () => completions(11) || undefined);
  await notifier.idle();
  await notifier.stop();
  assert.deepEqual(progressOf(11), [10]);
  assert.equal(completions(11), 1);
});

test('with no interval every step is a notification', async () => {
  const { notifier } = await play(0, 12, [10, 20, 30, 40, 50], true);
  await pollFor(async () => completions(12) || undefined);
  await notifier.idle();
  await notifier.stop();
  assert.deepEqual(progressOf(12), [10, 20, 30, 40, 50]);
});

test('the latest step waiting is sent when the interval ends', async () => {
  const { notifier } = await play(100, 13, [10, 20, 30], false);
  await pollFor(async () => (progressOf(13).length === 2 ? true : undefined));
  await notifier.stop();
  assert.deepEqual(progressOf(13), [10, 30]);
});
