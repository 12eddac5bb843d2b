// What the vendor families' interop tests share: a safeflash-agent process playing one device of a
// family, a TFTP server it fetches from (the port the family cannot name), snmptrapd receiving its
// notifications over v2c, and snmpget by numeric OIDs.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureVendorSoftware, vendorKeyPrefix } from '../../src/agent/vendor-key.ts';
import { packImage } from '../../src/protocol/image.ts';
import { keyPairFiles, readPrivateKey } from '../../src/protocol/keys.ts';
import type { SnmpSecurity } from '../../src/protocol/snmp/security.ts';
import { TftpServer } from '../../src/protocol/tftp/server.ts';
import { requestArguments, runTool, type Snmptrapd, startSnmptrapd } from './net-snmp-tools.ts';
import { type AgentProcess, randomBaseAddress, randomPort, startAgentProcess } from './snmp-agent-process.ts';

export interface FamilyInterop {
  /** ADDRESS:PORT of the device's agent. */
  target: string;
  security: SnmpSecurity;
  tftp: TftpServer;
  /** The TFTP server's root. */
  root: string;
  trapd: Snmptrapd;
  /** snmpget -Oqv of numeric OIDs, without MIBs: what Net-SNMP prints for each value. */
  get(...oids: string[]): Promise<string[]>;
  stop(): Promise<void>;
}

/** One device of `family` (model `model`), with `images` (file name to version) signed for it and served by TFTP. */
export async function startFamilyInterop(family: string, model: string, second: number, images: Record<string, string> = {}): Promise<FamilyInterop> {
  const community = `${family}-rw`;
  const security: SnmpSecurity = { version: 'v2c', community };
  const dir = await mkdtemp(join(tmpdir(), `sf-${family}-`));
  const stateDir = join(dir, 'agent');
  ensureVendorSoftware(stateDir, model);
  const root = join(dir, 'tftp');
  await mkdir(root);
  const vendorKey = readPrivateKey(keyPairFiles(vendorKeyPrefix(stateDir)).privateKeyFile);
  for (const [name, version] of Object.entries(images)) {
    await writeFile(join(root, name), packImage({ model, version, configFormat: 1 }, Buffer.from(`${model} software ${version}\n`), vendorKey));
  }
  const tftp = new TftpServer({ root, address: '127.0.0.1', port: 0 });
  await tftp.start();
  const trapPort = randomPort();
  const trapd = await startSnmptrapd(join(dir, 'trapd.conf'), [`authCommunity log,execute,net ${community}`], `udp:127.0.0.1:${trapPort}`);
  const port = randomPort();
  let agent: AgentProcess;
  try {
    agent = await startAgentProcess([
      ...['--family', family, '--devices', '1', '--base-address', randomBaseAddress(second), '--port', String(port)],
      ...['--state-dir', stateDir, '--community', community, '--tftp-port', String(tftp.port)],
      ...['--notify-version', 'v2c', '--notify', `127.0.0.1:${trapPort}`],
    ]);
  } catch (error) {
    await trapd.stop();
    await tftp.close();
    throw error;
  }
  const target = `${agent.devices[0]!.address}:${port}`;
  return {
    target,
    security,
    tftp,
    root,
    trapd,
    async get(...oids) {
      const r = await runTool('snmpget', [...requestArguments(security), '-m', '', '-Oqv', target, ...oids]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim().split('\n');
    },
    async stop() {
      await agent.stop();
      await trapd.stop();
      await tftp.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A notification's OID as snmptrapd prints it without the module loaded. */
export function printedNotification(oid: string): RegExp {
  const printed = oid.replace(/^1\.3\.6\.1\.2\.1\./, 'mib-2.').replace(/^1\.3\.6\.1\.4\.1\./, 'enterprises.');
  return new RegExp(`OID: SNMPv2-SMI::${printed.replaceAll('.', '\\.')}\\b`);
}
