// The IOS personality in this process, on a virtual device of its own loopback address, driven only by
// Net-SNMP's tools and the MIBs' numeric OIDs, the way Cisco documents it: one snmpset of ccCopyTable
// columns with createAndGo copies the running configuration to a TFTP server; snmpget watches
// ccCopyState; the row is destroyed after. snmptrapd (its own log file) hears the completions asked for.
// Refused SETs answer the MIB's error statuses and change nothing.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VirtualDevice } from '../../src/agent/device.ts';
import { serialFor } from '../../src/agent/fleet.ts';
import { DeviceAgent } from '../../src/agent/snmp/device-agent.ts';
import { ensureVendorSoftware } from '../../src/agent/vendor-key.ts';
import { iosConfiguration, renderIosConfig } from '../../src/families/cisco-ios/ios-config.ts';
import { ccCopyColumns as copy, ciscoNotifications, flashCopyColumns as flash, reloadObjects } from '../../src/families/cisco-ios/objects.ts';
import { type CiscoPersonalityOptions, ciscoIosPersonality } from '../../src/families/cisco-ios/personality.ts';
import { compareTexts } from '../../src/families/configuration-text.ts';
import { parseConfig } from '../../src/protocol/config.ts';
import { netSnmpToolArguments, type SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import { TftpServer } from '../../src/protocol/tftp/server.ts';
import { netSnmpMissing, runTool, snmptrapdMissing, type ToolResult } from '../helpers/net-snmp-tools.ts';
import { pollFor, randomDeviceAddress } from '../helpers/snmp-device.ts';
import { freeUdpPort } from '../helpers/tftp-helpers.ts';
import { findProgram } from '../helpers/tools.ts';

const community = 'router-rw';
const v2c: SnmpSecurity = { version: 'v2c', community };
const model = 'ISR-4321';
const at = (column: { oid: string }, row: number) => `${column.oid}.${row}`;
const randomRow = () => 1 + Math.floor(Math.random() * 2_000_000_000);

// Numeric OIDs in and out (-On), no MIB loaded (-m ''), a short timeout: as a script following Cisco's note would.
function net(tool: 'snmpget' | 'snmpset', target: string, varbinds: string[]): Promise<ToolResult> {
  return runTool(tool, [...netSnmpToolArguments(v2c), '-m', '', '-On', '-t', '1', '-r', '1', target, ...varbinds]);
}

async function value(target: string, oid: string): Promise<string> {
  const r = await runTool('snmpget', [...netSnmpToolArguments(v2c), '-m', '', '-Oqv', '-t', '1', '-r', '1', target, oid]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** ccCopyState once it is successful(3) or failed(4). */
function copyEnd(target: string, row: number): Promise<string> {
  return pollFor(
    async () => {
      const state = await value(target, at(copy.ccCopyState, row));
      return state === '3' || state === '4' ? state : undefined;
    },
    400,
    50,
  );
}

interface Router {
  device: VirtualDevice;
  target: string;
  stateDir: string;
  close(): Promise<void>;
}

async function startRouter(dir: string, options: CiscoPersonalityOptions): Promise<Router> {
  const address = randomDeviceAddress();
  const software = ensureVendorSoftware(dir, model);
  const personality = ciscoIosPersonality(options);
  const stateDir = join(dir, address);
  const device = new VirtualDevice({
    address,
    stateDir,
    model,
    serial: serialFor(address),
    trustedKeys: [software.trustedKey],
    factoryImage: software.factoryImage,
    rebootMs: 200,
    ...(personality.configText ? { configText: personality.configText } : {}),
  });
  const agent = await DeviceAgent.start({ device, personality, address, port: 0, users: [], communities: [community], notifySecurity: v2c });
  await device.start();
  return {
    device,
    target: `${address}:${agent.endpoint.port}`,
    stateDir,
    close: async () => {
      await agent.stop();
      await device.stop();
    },
  };
}

/** snmptrapd in the foreground on 127.0.0.1, numeric OIDs, everything it hears logged to a file. */
async function startSnmptrapd(dir: string): Promise<{ port: number; log: () => Promise<string>; stop: () => Promise<void> }> {
  const port = await freeUdpPort();
  const conf = join(dir, 'snmptrapd.conf');
  const logFile = join(dir, 'snmptrapd.log');
  await writeFile(conf, 'disableAuthorization yes\n');
  const child: ChildProcess = spawn(
    findProgram('snmptrapd')!,
    ['-f', '-Lf', logFile, '-C', '-c', conf, '-On', '-m', '', '-p', join(dir, 'snmptrapd.pid'), `udp:127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => readFile(logFile, 'utf8').catch(() => '');
  await pollFor(async () => ((await log()).includes('NET-SNMP version') ? true : undefined), 200, 50);
  return {
    port,
    log,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe("a virtual IOS router follows Cisco's documented ccCopyTable recipe", { skip: netSnmpMissing || snmptrapdMissing }, () => {
  let dir: string;
  let root: string;
  let tftp: TftpServer;
  let trapd: Awaited<ReturnType<typeof startSnmptrapd>>;
  let router: Router;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-ios-personality-'));
    root = join(dir, 'tftp');
    await mkdir(root);
    tftp = new TftpServer({ root, address: '127.0.0.1', port: 0 });
    await tftp.start();
    trapd = await startSnmptrapd(dir);
    router = await startRouter(dir, { tftpPort: () => tftp.port });
    // The router's `snmp-server host`: where its notifications go.
    await router.device.setNotifyTarget({ address: '127.0.0.1', port: trapd.port });
  });

  after(async () => {
    await router?.close();
    await trapd?.stop();
    await tftp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('running-config to TFTP: one snmpset with createAndGo, ccCopyState to successful, the file is the running configuration as IOS shows it; destroy removes the row', async () => {
    const row = randomRow();
    const name = tftp.issueWriteName('router-confg');
    const set = await net('snmpset', router.target, [
      ...[at(copy.ccCopyProtocol, row), 'i', String(copy.ccCopyProtocol.values.tftp)],
      ...[at(copy.ccCopySourceFileType, row), 'i', String(copy.ccCopySourceFileType.values.runningConfig)],
      ...[at(copy.ccCopyDestFileType, row), 'i', String(copy.ccCopyDestFileType.values.networkFile)],
      ...[at(copy.ccCopyServerAddress, row), 'a', '127.0.0.1'],
      ...[at(copy.ccCopyFileName, row), 's', name],
      ...[at(copy.ccCopyEntryRowStatus, row), 'i', String(copy.ccCopyEntryRowStatus.values.createAndGo)],
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(await copyEnd(router.target, row), String(copy.ccCopyState.values.successful));
    const received = await readFile(join(root, name), 'utf8');
    const running = parseConfig(await readFile(join(router.stateDir, 'config', 'running.cfg')));
    const expected = renderIosConfig(running, new Date()).toString('utf8');
    assert.match(received, /^Building configuration\.\.\.\n\nCurrent configuration : \d+ bytes\n!\n! Last configuration change at /);
    assert.deepEqual(compareTexts(expected, received, iosConfiguration).differing, []);
    // What it read back: the deprecated column as set, the Rev1 pair as the MIB says it follows.
    assert.equal(await value(router.target, at(copy.ccCopyServerAddress, row)), '127.0.0.1');
    const destroy = await net('snmpset', router.target, [at(copy.ccCopyEntryRowStatus, row), 'i', String(copy.ccCopyEntryRowStatus.values.destroy)]);
    assert.equal(destroy.code, 0, destroy.stderr);
    const gone = await net('snmpget', router.target, [at(copy.ccCopyState, row)]);
    assert.match(gone.stdout, /No Such Instance/);
  });

  test('ccCopyCompletion reaches snmptrapd when the row asks for it, with the row state; a row that does not ask sends none', async () => {
    const silent = randomRow();
    const loud = randomRow();
    for (const [row, notify] of [
      [silent, copy.ccCopyNotificationOnCompletion.values.false],
      [loud, copy.ccCopyNotificationOnCompletion.values.true],
    ] as const) {
      const set = await net('snmpset', router.target, [
        ...[at(copy.ccCopySourceFileType, row), 'i', String(copy.ccCopySourceFileType.values.runningConfig)],
        ...[at(copy.ccCopyDestFileType, row), 'i', String(copy.ccCopyDestFileType.values.networkFile)],
        ...[at(copy.ccCopyServerAddress, row), 'a', '127.0.0.1'],
        ...[at(copy.ccCopyFileName, row), 's', tftp.issueWriteName('router-confg')],
        ...[at(copy.ccCopyNotificationOnCompletion, row), 'i', String(notify)],
        ...[at(copy.ccCopyEntryRowStatus, row), 'i', String(copy.ccCopyEntryRowStatus.values.createAndGo)],
      ]);
      assert.equal(set.code, 0, set.stderr);
      assert.equal(await copyEnd(router.target, row), '3');
    }
    const log = await pollFor(async () => {
      const text = await trapd.log();
      return text.includes(`${copy.ccCopyState.oid}.${loud} = INTEGER: 3`) ? text : undefined;
    });
    assert.ok(log.includes(`.1.3.6.1.6.3.1.1.4.1.0 = OID: .${ciscoNotifications.ccCopyCompletion.oid}`), log);
    assert.ok(log.includes(`.${copy.ccCopyFileName.oid}.${loud} = STRING:`), log);
    // On success ccCopyFailCause is not instantiated, so not sent.
    assert.ok(!log.includes(`.${copy.ccCopyFailCause.oid}.${loud}`), log);
    // The device sends its notifications in order: the silent row's would be in the log by now.
    assert.ok(!log.includes(`.${silent} =`), log);
  });

  test('a failed copy asked to notify sends ccCopyCompletion with failed(4) and its ccCopyFailCause', async () => {
    const row = randomRow();
    const set = await net('snmpset', router.target, [
      ...[at(copy.ccCopySourceFileType, row), 'i', String(copy.ccCopySourceFileType.values.networkFile)],
      ...[at(copy.ccCopyDestFileType, row), 'i', String(copy.ccCopyDestFileType.values.runningConfig)],
      ...[at(copy.ccCopyServerAddress, row), 'a', '127.0.0.1'],
      ...[at(copy.ccCopyFileName, row), 's', 'no-such-confg'],
      ...[at(copy.ccCopyNotificationOnCompletion, row), 'i', String(copy.ccCopyNotificationOnCompletion.values.true)],
      ...[at(copy.ccCopyEntryRowStatus, row), 'i', '4'],
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(await copyEnd(router.target, row), String(copy.ccCopyState.values.failed));
    const cause = String(copy.ccCopyFailCause.values.badFileName);
    assert.equal(await value(router.target, at(copy.ccCopyFailCause, row)), cause);
    const log = await pollFor(async () => {
      const text = await trapd.log();
      return text.includes(`.${copy.ccCopyFailCause.oid}.${row} = INTEGER: ${cause}`) ? text : undefined;
    });
    assert.ok(log.includes(`.${copy.ccCopyState.oid}.${row} = INTEGER: 4`), log);
  });

  test('refused SETs answer the MIB error status and change nothing', async () => {
    const row = randomRow();
    const files = await readdir(root);
    const operations = router.device.operations().length;
    const whole = (extra: string[] = []) => [
      ...[at(copy.ccCopySourceFileType, row), 'i', '4'],
      ...[at(copy.ccCopyDestFileType, row), 'i', '1'],
      ...[at(copy.ccCopyServerAddress, row), 'a', '127.0.0.1'],
      ...[at(copy.ccCopyFileName, row), 's', 'never-written'],
      ...extra,
      ...[at(copy.ccCopyEntryRowStatus, row), 'i', '4'],
    ];
    const cases: Array<[status: string, varbinds: string[]]> = [
      // createAndGo without the destination: not a copy the router can start.
      ['inconsistentValue', [at(copy.ccCopySourceFileType, row), 'i', '4', at(copy.ccCopyEntryRowStatus, row), 'i', '4']],
      // A server that names nobody.
      ['inconsistentValue', whole().map((v) => (v === '127.0.0.1' ? '0.0.0.0' : v))],
      ['wrongType', whole([at(copy.ccCopyProtocol, row), 's', 'tftp'])],
      ['wrongValue', whole([at(copy.ccCopyProtocol, row), 'i', '99'])],
      ['notWritable', whole([at(copy.ccCopyState, row), 'i', '3'])],
      // A column the table does not have, and a row index outside ccCopyIndex's range.
      ['noCreation', whole([`${copy.ccCopyState.oid.replace(/\.10$/, '.99')}.${row}`, 'i', '1'])],
      ['noCreation', [at(copy.ccCopySourceFileType, 0), 'i', '4', at(copy.ccCopyEntryRowStatus, 0), 'i', '5']],
      // A column set without creating its row.
      ['noCreation', [at(copy.ccCopyFileName, row), 's', 'x']],
    ];
    for (const [status, varbinds] of cases) {
      const r = await net('snmpset', router.target, varbinds);
      assert.notEqual(r.code, 0, `${status}: ${varbinds.join(' ')}`);
      assert.match(r.stderr, new RegExp(`Reason: ${status}`), `${varbinds.join(' ')}: ${r.stderr}`);
      const left = await net('snmpget', router.target, [at(copy.ccCopyEntryRowStatus, row)]);
      assert.match(left.stdout, /No Such Instance/, 'no row was created');
    }
    assert.deepEqual(await readdir(root), files);
    assert.equal(router.device.operations().length, operations, 'no operation was started');
  });

  test('createAndWait, the columns, then active; an active row cannot change', async () => {
    const row = randomRow();
    const name = tftp.issueWriteName('router-confg');
    for (const varbinds of [
      [at(copy.ccCopyEntryRowStatus, row), 'i', String(copy.ccCopyEntryRowStatus.values.createAndWait)],
      [at(copy.ccCopySourceFileType, row), 'i', '4', at(copy.ccCopyDestFileType, row), 'i', '1'],
      [at(copy.ccCopyServerAddressType, row), 'i', '1', at(copy.ccCopyServerAddressRev1, row), 'x', '7F000001', at(copy.ccCopyFileName, row), 's', name],
      [at(copy.ccCopyEntryRowStatus, row), 'i', String(copy.ccCopyEntryRowStatus.values.active)],
    ]) {
      const step = await net('snmpset', router.target, varbinds);
      assert.equal(step.code, 0, `${varbinds.join(' ')}: ${step.stderr}`);
    }
    assert.equal(await copyEnd(router.target, row), '3');
    assert.match(await readFile(join(root, name), 'utf8'), /\nend\n$/);
    const change = await net('snmpset', router.target, [at(copy.ccCopyFileName, row), 's', 'other']);
    assert.match(change.stderr, /Reason: notWritable/);
    assert.equal(await value(router.target, at(copy.ccCopyFileName, row)), `"${name}"`);
  });

  test('network file to running-config: the router applies IOS text it is given', async () => {
    const running = parseConfig(await readFile(join(router.stateDir, 'config', 'running.cfg')));
    const changed = { ...running, system: { ...running.system, hostname: 'branch-router-7' } };
    await writeFile(join(root, 'new-confg'), renderIosConfig(changed, new Date()));
    const row = randomRow();
    const set = await net('snmpset', router.target, [
      ...[at(copy.ccCopySourceFileType, row), 'i', String(copy.ccCopySourceFileType.values.networkFile)],
      ...[at(copy.ccCopyDestFileType, row), 'i', String(copy.ccCopyDestFileType.values.runningConfig)],
      ...[at(copy.ccCopyServerAddress, row), 'a', '127.0.0.1'],
      ...[at(copy.ccCopyFileName, row), 's', 'new-confg'],
      ...[at(copy.ccCopyEntryRowStatus, row), 'i', '4'],
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(await copyEnd(router.target, row), '3');
    assert.deepEqual(parseConfig(await readFile(join(router.stateDir, 'config', 'running.cfg'))), changed);
  });

  test('one copy at a time: a second while the first runs is refused with resourceUnavailable', async () => {
    router.device.setFaults({ slowTransfers: { stepDelayMs: 300 } });
    const first = randomRow();
    const second = randomRow();
    const row = (index: number) => [
      ...[at(copy.ccCopySourceFileType, index), 'i', '4'],
      ...[at(copy.ccCopyDestFileType, index), 'i', '1'],
      ...[at(copy.ccCopyServerAddress, index), 'a', '127.0.0.1'],
      ...[at(copy.ccCopyFileName, index), 's', tftp.issueWriteName('router-confg')],
      ...[at(copy.ccCopyEntryRowStatus, index), 'i', '4'],
    ];
    try {
      assert.equal((await net('snmpset', router.target, row(first))).code, 0);
      // waiting(1) until the device takes it up, then running(2) for the slowed transfer.
      await pollFor(async () => ((await value(router.target, at(copy.ccCopyState, first))) === String(copy.ccCopyState.values.running) ? true : undefined));
      const refused = await net('snmpset', router.target, row(second));
      assert.match(refused.stderr, /Reason: resourceUnavailable/);
      assert.match((await net('snmpget', router.target, [at(copy.ccCopyState, second)])).stdout, /No Such Instance/);
    } finally {
      router.device.setFaults({});
    }
    assert.equal(await copyEnd(router.target, first), '3');
  });

  test('each table numbers its rows on its own: one number in both tables, a number the device used before, flash serial 0', async () => {
    const row = randomRow();
    const copyTo = async (name: string) => {
      const set = await net('snmpset', router.target, [
        ...[at(copy.ccCopySourceFileType, row), 'i', '4'],
        ...[at(copy.ccCopyDestFileType, row), 'i', '1'],
        ...[at(copy.ccCopyServerAddress, row), 'a', '127.0.0.1'],
        ...[at(copy.ccCopyFileName, row), 's', name],
        ...[at(copy.ccCopyEntryRowStatus, row), 'i', '4'],
      ]);
      assert.equal(set.code, 0, set.stderr);
      assert.equal(await copyEnd(router.target, row), '3');
    };
    const flashFrom = async (serial: number) => {
      const set = await net('snmpset', router.target, [
        ...[at(flash.ciscoFlashCopyCommand, serial), 'i', String(flash.ciscoFlashCopyCommand.values.copyToFlashWithoutErase)],
        ...[at(flash.ciscoFlashCopyServerAddress, serial), 'a', '127.0.0.1'],
        ...[at(flash.ciscoFlashCopySourceName, serial), 's', 'absent.bin'],
        ...[at(flash.ciscoFlashCopyEntryStatus, serial), 'i', '4'],
      ]);
      assert.equal(set.code, 0, set.stderr);
      return pollFor(async () => {
        const status = Number(await value(router.target, at(flash.ciscoFlashCopyStatus, serial)));
        return status > flash.ciscoFlashCopyStatus.values.copyInProgress ? status : undefined;
      });
    };
    const first = tftp.issueWriteName('router-confg');
    await copyTo(first);
    // The flash row of the same number is another operation: the copy row keeps its own end.
    assert.equal(await flashFrom(row), flash.ciscoFlashCopyStatus.values.copyInvalidSourceName);
    assert.equal(await value(router.target, at(copy.ccCopyState, row)), '3');
    // Destroyed, the number is free again in its table, though the device still keeps the first copy.
    assert.equal((await net('snmpset', router.target, [at(copy.ccCopyEntryRowStatus, row), 'i', '6'])).code, 0);
    const second = tftp.issueWriteName('router-confg');
    await copyTo(second);
    assert.match(await readFile(join(root, second), 'utf8'), /\nend\n$/);
    assert.equal(await flashFrom(0), flash.ciscoFlashCopyStatus.values.copyInvalidSourceName);
  });

  test('a copy into flash of a file the server lacks fails, and ciscoFlashCopyCompletionTrap says how', async () => {
    const serial = randomRow();
    const set = await net('snmpset', router.target, [
      ...[at(flash.ciscoFlashCopyCommand, serial), 'i', String(flash.ciscoFlashCopyCommand.values.copyToFlashWithoutErase)],
      ...[at(flash.ciscoFlashCopyServerAddress, serial), 'a', '127.0.0.1'],
      ...[at(flash.ciscoFlashCopySourceName, serial), 's', 'no-such-image.bin'],
      ...[at(flash.ciscoFlashCopyNotifyOnCompletion, serial), 'i', String(flash.ciscoFlashCopyNotifyOnCompletion.values.true)],
      ...[at(flash.ciscoFlashCopyEntryStatus, serial), 'i', String(flash.ciscoFlashCopyEntryStatus.values.createAndGo)],
    ]);
    assert.equal(set.code, 0, set.stderr);
    const terminal = await pollFor(async () => {
      const status = Number(await value(router.target, at(flash.ciscoFlashCopyStatus, serial)));
      return status > flash.ciscoFlashCopyStatus.values.copyInProgress ? status : undefined;
    });
    assert.equal(terminal, flash.ciscoFlashCopyStatus.values.copyInvalidSourceName);
    const log = await pollFor(async () => {
      const text = await trapd.log();
      return text.includes(`.${flash.ciscoFlashCopyStatus.oid}.${serial} = INTEGER: ${terminal}`) ? text : undefined;
    });
    assert.ok(log.includes(`OID: .${ciscoNotifications.ciscoFlashCopyCompletionTrap.oid}`), log);
  });
});

describe('a virtual IOS router ages its ended copy rows out', { skip: netSnmpMissing }, () => {
  test('a finished row disappears after the age it is given (the MIB: never before five minutes; here shortened)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sf-ios-age-'));
    const router = await startRouter(dir, { finishedRowMs: 200 });
    try {
      const row = randomRow();
      // running-config to startup-config: the router keeps one configuration, so the copy ends at once.
      const set = await net('snmpset', router.target, [
        ...[at(copy.ccCopySourceFileType, row), 'i', String(copy.ccCopySourceFileType.values.runningConfig)],
        ...[at(copy.ccCopyDestFileType, row), 'i', String(copy.ccCopyDestFileType.values.startupConfig)],
        ...[at(copy.ccCopyEntryRowStatus, row), 'i', String(copy.ccCopyEntryRowStatus.values.createAndGo)],
      ]);
      assert.equal(set.code, 0, set.stderr);
      await pollFor(async () => ((await net('snmpget', router.target, [at(copy.ccCopyState, row)])).stdout.includes('No Such Instance') ? true : undefined));
    } finally {
      await router.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a virtual IOS router reloads on tsMsgSend reload(2)', { skip: netSnmpMissing }, () => {
  test('the reload is a device reboot; tsMsgSend reads reload while it is under way, nothing after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sf-ios-reload-'));
    const router = await startRouter(dir, {});
    try {
      const set = await net('snmpset', router.target, [
        ...[`${reloadObjects.tsMsgText.oid}.0`, 's', 'Reload for maintenance'],
        ...[`${reloadObjects.tsMsgSend.oid}.0`, 'i', String(reloadObjects.tsMsgSend.values.reload)],
      ]);
      assert.equal(set.code, 0, set.stderr);
      const reboot = await pollFor(async () => {
        const op = router.device.operations().find((o) => o.request.type === 'reboot');
        return op?.state === 'successful' ? op : undefined;
      }, 400);
      assert.equal(reboot.failCause, 'none');
      const after = await pollFor(async () => {
        const r = await net('snmpget', router.target, [`${reloadObjects.tsMsgSend.oid}.0`]);
        return r.code === 0 ? r.stdout : undefined;
      });
      assert.match(after, new RegExp(`= INTEGER: ${reloadObjects.tsMsgSend.values.nothing}$`, 'm'));
      // Anything but reload, nothing or the others of the enumeration is not a tsMsgSend value.
      const wrong = await net('snmpset', router.target, [`${reloadObjects.tsMsgSend.oid}.0`, 'i', '7']);
      assert.match(wrong.stderr, /Reason: wrongValue/);
    } finally {
      await router.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
