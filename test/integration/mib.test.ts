// SAFEFLASH-MIB is the contract: it must pass smilint, load in Net-SNMP's tools, and be what the code uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { enumeration, mibPaths, notificationObjects, oid } from '../../src/protocol/mib.ts';
import { missing } from '../helpers/tools.ts';

const baseModules = fileURLToPath(new URL('../../node_modules/net-snmp/lib/mibs/', import.meta.url));
const searchPath = [...mibPaths.directories, baseModules].join(':');

test('smilint -s -l 4 reports nothing of severity 1 to 3', { skip: missing('smilint') }, () => {
  const result = spawnSync('smilint', ['-s', '-l', '4', mibPaths.module], {
    env: { ...process.env, SMIPATH: searchPath },
    encoding: 'utf8',
  });
  const serious = `${result.stdout}${result.stderr}`.split('\n').filter((line) => /\[[1-3]\]/.test(line));
  assert.deepEqual(serious, []);
  assert.equal(result.status, 0, result.stderr);
});

test('smilint fails on a broken copy of the module, so the check above can fail', { skip: missing('smilint') }, () => {
  const result = spawnSync('smilint', ['-s', '-l', '4', '/dev/stdin'], {
    env: { ...process.env, SMIPATH: searchPath },
    input: 'SAFEFLASH-MIB DEFINITIONS ::= BEGIN\nIMPORTS nothing FROM NOWHERE-MIB;\nEND\n',
    encoding: 'utf8',
  });
  assert.match(`${result.stdout}${result.stderr}`, /\[[1-3]\]/);
});

test('Net-SNMP snmptranslate loads the module and agrees with our OIDs', { skip: missing('snmptranslate') }, () => {
  for (const name of ['sfOpRowStatus', 'sfRunningVersion', 'sfBankState', 'sfBootCompletedNotification']) {
    const numeric = execFileSync('snmptranslate', ['-M', searchPath, '-m', 'SAFEFLASH-MIB', '-On', `SAFEFLASH-MIB::${name}`], {
      encoding: 'utf8',
    }).trim();
    assert.equal(numeric, `.${oid(name)}`);
  }
  const tree = execFileSync('snmptranslate', ['-M', searchPath, '-m', 'SAFEFLASH-MIB', '-Tp', 'SAFEFLASH-MIB::sfOpType'], {
    encoding: 'utf8',
  });
  for (const label of enumeration('sfOpType').labels) assert.match(tree, new RegExp(`${label}\\(\\d+\\)`));
});

test('the module sits under the documentation enterprise number 32473', () => {
  assert.equal(oid('safeflashMIB'), '1.3.6.1.4.1.32473.1');
});

test('enumerations come from the file, with their numbers', () => {
  const type = enumeration('sfOpType');
  assert.deepEqual(type.labels, [
    'backupConfig',
    'downloadSoftware',
    'reboot',
    'revertSoftware',
    'restoreConfig',
    'convertConfig',
    'stageSoftware',
    'activateSoftware',
  ]);
  assert.equal(type.label(6), 'convertConfig');
  assert.equal(type.label(8), 'activateSoftware');
  assert.equal(type.label(999), undefined);
  // Textual conventions defined in the module resolve to their values.
  assert.ok(enumeration('sfOpFailCause').labels.includes('imageBadSignature'));
  assert.deepEqual(enumeration('sfActiveBank').labels, ['bankA', 'bankB']);
  assert.throws(() => enumeration('sfRunningVersion'), /not an enumeration/);
  assert.throws(() => oid('sfNoSuchThing'), /has no sfNoSuchThing/);
});

test('notifications carry the objects the manager needs', () => {
  assert.deepEqual(notificationObjects('sfOpCompletionNotification'), ['sfOpType', 'sfOpState', 'sfOpFailCause', 'sfOpFailMessage']);
  assert.ok(notificationObjects('sfBootCompletedNotification').includes('sfRunningVersion'));
});
