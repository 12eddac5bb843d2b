// Devices named on the command line are merged by what they resolve to, not by how they are spelled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceJson } from '../../src/interfaces/cli/api-types.ts';
import { mergeSameDevices } from '../../src/interfaces/cli/device-references.ts';

const device = (id: number, name: string, address: string) => ({ id, name, address, port: 161 }) as unknown as DeviceJson;
const fh3 = device(3, 'fh-3', '127.60.9.3');
const fh4 = device(4, 'fh-4', '127.60.9.4');

test('a name and an address of one device: one device, one line saying so', () => {
  const { devices, merged } = mergeSameDevices([
    { reference: 'fh-3', device: fh3 },
    { reference: 'fh-4', device: fh4 },
    { reference: '127.60.9.3', device: fh3 },
  ]);
  assert.deepEqual(
    devices.map((d) => d.id),
    [3, 4],
  );
  assert.deepEqual(merged, ['fh-3 and 127.60.9.3 are the same device']);
});

test('references that do not include the name name the device; the same text twice is said once', () => {
  assert.deepEqual(
    mergeSameDevices([
      { reference: '3', device: fh3 },
      { reference: '127.60.9.3', device: fh3 },
      { reference: '3', device: fh3 },
    ]).merged,
    ['3 and 127.60.9.3 are the same device (fh-3)'],
  );
  assert.deepEqual(
    mergeSameDevices([
      { reference: 'fh-4', device: fh4 },
      { reference: 'fh-4', device: fh4 },
    ]).merged,
    ['fh-4 is named 2 times; it is one device'],
  );
});

test('distinct devices stay in the order they were named, with nothing to say', () => {
  const { devices, merged } = mergeSameDevices([
    { reference: 'fh-4', device: fh4 },
    { reference: 'fh-3', device: fh3 },
  ]);
  assert.deepEqual(
    devices.map((d) => d.name),
    ['fh-4', 'fh-3'],
  );
  assert.deepEqual(merged, []);
});
