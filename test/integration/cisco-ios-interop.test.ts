// A virtual Cisco IOS router (safeflash-agent --family cisco-ios) driven by Net-SNMP's tools alone, by
// the MIBs' numeric OIDs, the way Cisco documents it: one snmpset of ccCopyTable columns with
// createAndGo copies the running configuration to a TFTP server; snmpget watches ccCopyState; the row
// is destroyed after; snmptrapd receives ccCopyCompletion.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseIosConfig } from '../../src/families/cisco-ios/ios-config.ts';
import { ccCopyColumns as copy, ciscoNotifications } from '../../src/families/cisco-ios/objects.ts';
import type { SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import { TftpServer } from '../../src/protocol/tftp/server.ts';
import { netSnmpMissing, requestArguments, runTool, type Snmptrapd, snmptrapdMissing, startSnmptrapd } from '../helpers/net-snmp-tools.ts';
import { type AgentProcess, randomBaseAddress, randomPort, startAgentProcess } from '../helpers/snmp-agent-process.ts';
import { pollFor } from '../helpers/snmp-device.ts';

const community = 'router-rw';
const v2c: SnmpSecurity = { version: 'v2c', community };
const at = (column: { oid: string }, row: number) => `${column.oid}.${row}`;

async function get(target: string, ...oids: string[]): Promise<string[]> {
  const r = await runTool('snmpget', [...requestArguments(v2c), '-m', '', '-Oqv', target, ...oids]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

describe("a virtual IOS router driven by Cisco's documented snmpset recipe", { skip: netSnmpMissing || snmptrapdMissing }, () => {
  let dir: string;
  let agent: AgentProcess;
  let tftp: TftpServer;
  let trapd: Snmptrapd;
  let target: string;
  let root: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-ios-'));
    root = join(dir, 'tftp');
    await mkdir(root);
    tftp = new TftpServer({ root, address: '127.0.0.1', port: 0 });
    await tftp.start();
    const trapPort = randomPort();
    trapd = await startSnmptrapd(join(dir, 'trapd.conf'), [`authCommunity log,execute,net ${community}`], `udp:127.0.0.1:${trapPort}`);
    const port = randomPort();
    agent = await startAgentProcess([
      ...['--family', 'cisco-ios', '--devices', '1', '--base-address', randomBaseAddress(6), '--port', String(port)],
      ...['--state-dir', join(dir, 'agent'), '--community', community, '--tftp-port', String(tftp.port)],
      ...['--notify-version', 'v2c', '--notify', `127.0.0.1:${trapPort}`],
    ]);
    target = `${agent.devices[0]!.address}:${port}`;
  });

  after(async () => {
    await agent?.stop();
    await trapd?.stop();
    await tftp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('sysDescr and the chassis say what the router runs', async () => {
    const [descr, model] = await get(target, '1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.47.1.1.1.1.13.1');
    assert.match(descr!, /^"Cisco IOS Software, ISR-4321 Software .*Version 1\.0\.0,/);
    assert.equal(model, '"ISR-4321"');
  });

  test('running-config to TFTP: one snmpset with createAndGo, ccCopyState to successful, the file is the IOS configuration', async () => {
    const row = 1000 + Math.floor(Math.random() * 100_000);
    const name = tftp.issueWriteName('router-confg');
    const r = await runTool('snmpset', [
      ...requestArguments(v2c),
      '-m',
      '',
      target,
      ...[at(copy.ccCopyProtocol, row), 'i', '1'],
      ...[at(copy.ccCopySourceFileType, row), 'i', '4'],
      ...[at(copy.ccCopyDestFileType, row), 'i', '1'],
      ...[at(copy.ccCopyServerAddress, row), 'a', '127.0.0.1'],
      ...[at(copy.ccCopyFileName, row), 's', name],
      ...[at(copy.ccCopyNotificationOnCompletion, row), 'i', '1'],
      ...[at(copy.ccCopyEntryRowStatus, row), 'i', '4'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const state = await pollFor(
      async () => {
        const [value] = await get(target, at(copy.ccCopyState, row));
        return value === '3' || value === '4' ? value : undefined;
      },
      100,
      100,
    );
    assert.equal(state, '3', 'successful(3)');
    const text = await readFile(join(root, name), 'utf8');
    assert.match(text, /^Building configuration\.\.\.\n\nCurrent configuration : \d+ bytes\n/);
    assert.match(text, /\nend\n$/);
    assert.equal(parseIosConfig(text).model, 'ISR-4321', 'the text reads back as the configuration');
    const log = await trapd.waitFor(
      new RegExp(`OID: SNMPv2-SMI::enterprises\\.${ciscoNotifications.ccCopyCompletion.oid.slice('1.3.6.1.4.1.'.length).replaceAll('.', '\\.')}\\b`),
      20_000,
    );
    assert.match(log, new RegExp(`enterprises\\.9\\.9\\.96\\.1\\.1\\.1\\.1\\.10\\.${row} = INTEGER: 3`));
    // Once read, the manager deletes the row.
    const destroy = await runTool('snmpset', [...requestArguments(v2c), '-m', '', target, at(copy.ccCopyEntryRowStatus, row), 'i', '6']);
    assert.equal(destroy.code, 0, destroy.stderr);
    const gone = await runTool('snmpget', [...requestArguments(v2c), '-m', '', '-Oqv', target, at(copy.ccCopyState, row)]);
    assert.match(gone.stdout, /No Such Instance/);
  });

  test('a copy row without its destination is refused and nothing is created; an active row cannot be changed', async () => {
    const row = 200_000 + Math.floor(Math.random() * 100_000);
    const refused = await runTool('snmpset', [
      ...requestArguments(v2c),
      '-m',
      '',
      target,
      ...[at(copy.ccCopySourceFileType, row), 'i', '4'],
      ...[at(copy.ccCopyEntryRowStatus, row), 'i', '4'],
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /inconsistentValue/);
    const after = await runTool('snmpget', [...requestArguments(v2c), '-m', '', '-Oqv', target, at(copy.ccCopyState, row)]);
    assert.match(after.stdout, /No Such Instance/);
    // createAndWait, then the rest, then active: the other documented way; here to running→startup, which needs no file.
    for (const varbinds of [
      [at(copy.ccCopyEntryRowStatus, row), 'i', '5'],
      [at(copy.ccCopySourceFileType, row), 'i', '4', at(copy.ccCopyDestFileType, row), 'i', '3'],
      [at(copy.ccCopyEntryRowStatus, row), 'i', '1'],
    ]) {
      const step = await runTool('snmpset', [...requestArguments(v2c), '-m', '', target, ...varbinds]);
      assert.equal(step.code, 0, step.stderr);
    }
    assert.deepEqual(await get(target, at(copy.ccCopyState, row)), ['3']);
    const change = await runTool('snmpset', [...requestArguments(v2c), '-m', '', target, at(copy.ccCopyFileName, row), 's', 'other']);
    assert.notEqual(change.code, 0, 'an active row cannot be changed');
    assert.deepEqual(await readdir(root).then((files) => files.includes('other')), false);
  });
});
