// safeflash-agent as a real child process, driven by programs nobody here wrote: Net-SNMP's snmpwalk,
// snmpget and snmpset (SNMPv3 authPriv SHA-256/AES and v2c), and snmptrapd receiving its notifications.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { oid } from '../../src/protocol/mib.ts';
import { netSnmpToolArguments, type SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import { TftpServer } from '../../src/protocol/tftp/server.ts';
import { netSnmpMissing, requestArguments, runTool, snmptrapdMissing, startSnmptrapd } from '../helpers/net-snmp-tools.ts';
import { randomBaseAddress, randomPort, startAgentProcess, type AgentProcess } from '../helpers/snmp-agent-process.ts';
import { pollFor } from '../helpers/snmp-device.ts';

const user = { name: 'interop', authKey: 'interop-auth-1', privKey: 'interop-priv-1' };
const community = 'interop-rw';
const v3: SnmpSecurity = { version: 'v3', user };
const v2c: SnmpSecurity = { version: 'v2c', community };
const securityArgs = ['--user', user.name, '--auth-key', user.authKey, '--priv-key', user.privKey, '--community', community];

function hexAddress(address: string): string {
  return address
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join('');
}

/** snmpget -Oqv of one object: its value as Net-SNMP prints it. */
async function getValue(security: SnmpSecurity, target: string, object: string): Promise<string> {
  const r = await runTool('snmpget', [...requestArguments(security), '-Oqv', target, object]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function waitForState(target: string, index: number): Promise<string> {
  return pollFor(
    async () => {
      const r = await runTool('snmpget', [...requestArguments(v3), '-Oqv', target, `sfOpState.${index}`]);
      const state = r.stdout.trim();
      return r.code === 0 && (state === 'successful' || state === 'failed') ? state : undefined;
    },
    100,
    100,
  );
}

describe('safeflash-agent with Net-SNMP tools', { skip: netSnmpMissing }, () => {
  let dir: string;
  let agent: AgentProcess;
  let port: number;
  let first: string;
  let second: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-interop-'));
    port = randomPort();
    agent = await startAgentProcess([
      '--devices',
      '2',
      '--base-address',
      randomBaseAddress(3),
      '--port',
      String(port),
      '--state-dir',
      join(dir, 'agent'),
      '--reboot-ms',
      '300',
      ...securityArgs,
    ]);
    first = `${agent.devices[0]!.address}:${port}`;
    second = `${agent.devices[1]!.address}:${port}`;
  });
  after(async () => {
    const code = await agent?.stop();
    assert.equal(code, 0, 'the agent stops cleanly on SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  test('snmpwalk of the whole MIB, SNMPv3 authPriv and v2c', async () => {
    for (const [security, target] of [
      [v3, first],
      [v2c, second],
    ] as const) {
      const r = await runTool('snmpwalk', [...requestArguments(security), target, 'safeflashMIB']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /sfDeviceModel\.0 = STRING: IAD-2400/);
      assert.match(r.stdout, /sfBankState\.bankA = INTEGER: valid\(2\)/);
      assert.match(r.stdout, /sfBankState\.bankB = INTEGER: empty\(1\)/);
      assert.match(r.stdout, /sfConfigDigest\.0 = Hex-STRING: ([0-9A-F]{2}\s+){32}/);
    }
  });

  test('snmpget of the scalars', async () => {
    const r = await runTool('snmpget', [
      ...requestArguments(v3),
      '-Oqv',
      first,
      'sfRunningVersion.0',
      'sfActiveBank.0',
      'sfRebootRequired.0',
      'sfLastBootCause.0',
      'sfDeviceSerial.0',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['1.0.0', 'bankA', 'true', 'powerOn', agent.devices[0]!.serial]);
  });

  test('snmpget of the condition group, snmpwalk of the ports (IF-MIB ifDescr, ifOperStatus)', async () => {
    const condition = await runTool('snmpget', [
      ...requestArguments(v3),
      '-Oqv',
      first,
      'sfActiveCalls.0',
      'sfRegisteredLines.0',
      'sfActiveAlarms.0',
      'sfBankCapacity.0',
    ]);
    assert.equal(condition.code, 0, condition.stderr);
    assert.deepEqual(condition.stdout.trim().split('\n'), ['0', '2', '0', `${64 * 1024 * 1024} bytes`], 'the tools read the UNITS of sfBankCapacity');
    // Numeric OIDs: Debian ships no IETF MIB files for the tools to name them by.
    const names = await runTool('snmpwalk', [...requestArguments(v3), '-On', '-Oqv', first, '1.3.6.1.2.1.2.2.1.2']);
    assert.equal(names.code, 0, names.stderr);
    assert.deepEqual(
      names.stdout
        .trim()
        .split('\n')
        .map((line) => line.replaceAll('"', '')),
      ['wan0', 'lan1', 'pots1', 'pots2'],
    );
    const states = await runTool('snmpwalk', [...requestArguments(v3), '-On', '-Oqv', first, '1.3.6.1.2.1.2.2.1.8']);
    assert.equal(states.code, 0, states.stderr);
    assert.deepEqual(states.stdout.trim().split('\n'), ['1', '1', '1', '1'], 'every port up (1)');
  });

  test('one snmpset with createAndGo backs the configuration up to a real TFTP server', async () => {
    const root = join(dir, 'tftp');
    await mkdir(root);
    const server = new TftpServer({ root, address: '127.0.0.1', port: 0 });
    await server.start();
    try {
      const name = server.issueWriteName('backup');
      const r = await runTool('snmpset', [
        ...requestArguments(v3),
        first,
        'sfOpType.11',
        'i',
        'backupConfig',
        'sfOpProtocol.11',
        'i',
        'tftp',
        'sfOpServerAddressType.11',
        'i',
        'ipv4',
        'sfOpServerAddress.11',
        'x',
        hexAddress('127.0.0.1'),
        'sfOpServerPort.11',
        'u',
        String(server.port),
        'sfOpFileName.11',
        's',
        name,
        'sfOpUserName.11',
        's',
        '',
        'sfOpPassword.11',
        's',
        'secret-never-shown',
        'sfOpRowStatus.11',
        'i',
        'createAndGo',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await waitForState(first, 11), 'successful');
      assert.equal(await getValue(v3, first, 'sfOpPassword.11'), '""');
      assert.equal(await getValue(v3, first, 'sfOpRowStatus.11'), 'active');
      const files = await readdir(root, { recursive: true });
      assert.ok(
        files.some((f) => String(f).includes(name)),
        `backup ${name} arrived: ${files.join(', ')}`,
      );
      const stored = files.find((f) => String(f).includes(name))!;
      assert.ok((await readFile(join(root, String(stored)))).length > 0);
    } finally {
      await server.close();
    }
  });

  test('bad snmpsets are refused and add no row', async () => {
    const raw = [...netSnmpToolArguments(v2c), '-t', '1', '-r', '1', second];
    const i = 23;
    const type = `.${oid('sfOpType')}.${i}`;
    const status = `.${oid('sfOpRowStatus')}.${i}`;
    const file = `.${oid('sfOpFileName')}.${i}`;
    const address = `.${oid('sfOpServerAddress')}.${i}`;
    const cases: Array<[string, string[], RegExp]> = [
      ['wrong type', [type, 's', 'backupConfig', status, 'i', '4'], /wrongType/],
      ['unknown sfOpType', [type, 'i', '77', status, 'i', '4'], /wrongValue/],
      ['oversized file name', [type, 'i', '1', file, 's', 'x'.repeat(300), status, 'i', '4'], /wrongLength/],
      ['bad address length', [type, 'i', '1', address, 'x', '7F0000', file, 's', 'f', status, 'i', '4'], /inconsistentValue/],
    ];
    for (const [what, args, error] of cases) {
      const r = await runTool('snmpset', [...raw, ...args]);
      assert.notEqual(r.code, 0, `${what} was accepted`);
      assert.match(r.stderr + r.stdout, error, what);
    }
    const walk = await runTool('snmpwalk', [...requestArguments(v2c), second, 'sfOpTable']);
    assert.doesNotMatch(walk.stdout, new RegExp(`\\.${i} =`));
  });

  test('garbage UDP to the agent port, then a normal get still works', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const [address] = first.split(':');
    for (const junk of [Buffer.from('garbage'), Buffer.from([0x30, 0x03, 0x02, 0x01]), Buffer.alloc(512, 0xff)]) {
      await new Promise<void>((resolve) => socket.send(junk, port, address, () => resolve()));
    }
    socket.close();
    assert.equal(await getValue(v3, first, 'sfDeviceModel.0'), 'IAD-2400');
  });

  test('a v3 inform reaches snmptrapd', { skip: snmptrapdMissing }, async () => {
    const trapPort = randomPort();
    const trapd = await startSnmptrapd(
      join(dir, 'trapd-v3.conf'),
      [`createUser ${user.name} SHA-256 ${user.authKey} AES ${user.privKey}`, `authUser log ${user.name} priv`],
      `udp:127.0.0.1:${trapPort}`,
    );
    try {
      const r = await runTool('snmpset', [
        ...requestArguments(v3),
        first,
        'sfOpType.31',
        'i',
        'revertSoftware',
        'sfOpNotifyAddressType.31',
        'i',
        'ipv4',
        'sfOpNotifyAddress.31',
        'x',
        hexAddress('127.0.0.1'),
        'sfOpNotifyPort.31',
        'u',
        String(trapPort),
        'sfOpRowStatus.31',
        'i',
        'createAndGo',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const text = await trapd.waitFor(/sfOpCompletionNotification/, 20_000);
      assert.match(text, /sfOpType\.31 = INTEGER: revertSoftware/);
    } finally {
      await trapd.stop();
    }
  });
});

describe('safeflash-agent notifications over v2c', { skip: netSnmpMissing || snmptrapdMissing }, () => {
  test('snmptrapd with a community logs the completion notification', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sf-interop-v2c-'));
    const trapPort = randomPort();
    const trapd = await startSnmptrapd(join(dir, 'trapd.conf'), [`authCommunity log,execute,net ${community}`], `udp:127.0.0.1:${trapPort}`);
    const agent = await startAgentProcess([
      '--devices',
      '1',
      '--base-address',
      randomBaseAddress(4),
      '--port',
      String(randomPort()),
      '--state-dir',
      join(dir, 'agent'),
      '--reboot-ms',
      '200',
      '--notify-version',
      'v2c',
      '--notify',
      `127.0.0.1:${trapPort}`,
      ...securityArgs,
    ]);
    try {
      const target = `${agent.devices[0]!.address}:${agent.devices[0]!.port}`;
      const r = await runTool('snmpset', [...requestArguments(v2c), target, 'sfOpType.2', 'i', 'reboot', 'sfOpRowStatus.2', 'i', 'createAndGo']);
      assert.equal(r.code, 0, r.stderr);
      const text = await trapd.waitFor(/sfOpCompletionNotification/, 20_000);
      assert.match(text, /sfOpState\.2 = INTEGER: successful/);
      await trapd.waitFor(/sfBootCompletedNotification/, 20_000);
    } finally {
      await agent.stop();
      await trapd.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
