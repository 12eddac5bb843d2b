// The code's vocabulary is the MIB's: each as-const list holds exactly the labels of the MIB object it
// stands for, so a label added to the MIB and not to the code (or the reverse) fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enumeration } from '../../src/protocol/mib.ts';
import { transferFailures, transferProtocols } from '../../src/protocol/transfer-contract.ts';
import { bankStates, banks, bootCauses, failCauses, isOneOf, operationStates, operationTypes } from '../../src/protocol/vocabulary.ts';

const lists: Array<[object: string, labels: readonly string[]]> = [
  ['sfOpType', operationTypes],
  ['sfOpState', operationStates],
  ['sfOpFailCause', failCauses],
  ['sfActiveBank', banks],
  ['sfBankIndex', banks],
  ['sfBankState', bankStates],
  ['sfLastBootCause', bootCauses],
  ['sfOpProtocol', transferProtocols],
];

for (const [object, labels] of lists) {
  test(`the labels of ${object} are the code's list, in the MIB's order`, () => {
    assert.deepEqual([...labels], enumeration(object).labels);
    assert.equal(new Set(labels).size, labels.length, 'a label is listed twice');
  });
}

test('every transfer failure is a cause the device can report', () => {
  for (const failure of transferFailures) assert.ok(isOneOf(failCauses, failure), failure);
});

test('isOneOf accepts a list’s labels and refuses anything else', () => {
  assert.equal(isOneOf(banks, 'bankB'), true);
  assert.equal(isOneOf(banks, 'bankC'), false);
  assert.equal(isOneOf(banks, 2), false);
  assert.equal(isOneOf(banks, undefined), false);
});
