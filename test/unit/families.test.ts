// The family port's pure parts: recognising a family from a device's system group, a run's plan from a
// family's capabilities, the DOCSIS sysDescr and notification codec, and the rule that a family's
// numbers live in its objects table alone.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareTexts, textDigest } from '../../src/families/configuration-text.ts';
import { iosConfiguration, parseIosConfig, renderIosConfig } from '../../src/families/cisco-ios/ios-config.ts';
import { factoryConfig } from '../../src/protocol/config.ts';
import { MigrationError, migrateConfig } from '../../src/protocol/config/migrations/registry.ts';
import { decodeUpgradeNotification, encodeUpgradeNotification } from '../../src/families/docsis/notifications.ts';
import { docsisNotifications } from '../../src/families/docsis/objects.ts';
import { formatSysDescr, parseSysDescr } from '../../src/families/docsis/sys-descr.ts';
import { decodeAnyNotification, families, family, recogniseFamily } from '../../src/families/families.ts';
import { familyNames } from '../../src/families/family.ts';
import { safeflashObjectId } from '../../src/families/safeflash/family.ts';
import { runPlan, skippedSteps } from '../../src/manager/procedure/run-plan.ts';

test('every family is listed once, under its own name', () => {
  assert.deepEqual(
    families.map((f) => f.name),
    [...familyNames],
  );
  for (const name of familyNames) assert.equal(family(name).name, name);
});

test("a device's family is recognised from its sysObjectID or its sysDescr", () => {
  assert.equal(recogniseFamily({ sysObjectID: safeflashObjectId, sysDescr: 'anything' })?.name, 'safeflash');
  const modem = 'Cable modem <<HW_REV: 1.0; VENDOR: Example; BOOTR: 2.1; SW_REV: 7.1.2; MODEL: XM-9>>';
  assert.equal(recogniseFamily({ sysObjectID: '1.3.6.1.4.1.4115.900', sysDescr: modem })?.name, 'docsis');
  // A modem that leaves BOOTR out is still one.
  assert.equal(recogniseFamily({ sysObjectID: '', sysDescr: '<<HW_REV: 1.2; VENDOR: Example; SW_REV: 3; MODEL: F1>>' })?.name, 'docsis');
  assert.equal(recogniseFamily({ sysObjectID: '1.3.6.1.4.1.8072.3.2.10', sysDescr: 'Linux box 6.1' }), undefined);
  // A prefix of our OID that is not under it is not ours.
  assert.equal(recogniseFamily({ sysObjectID: `${safeflashObjectId}9`, sysDescr: '' }), undefined);
});

test('the DOCSIS sysDescr round-trips and is read tolerantly', () => {
  const description = { hardware: '1.0', vendor: 'Example', bootRom: '2.1', software: '7.1.2', model: 'XM-9' };
  assert.deepEqual(parseSysDescr(formatSysDescr('Cable modem', description)), description);
  assert.deepEqual(parseSysDescr('x <<MODEL: A1 ;SW_REV:  9 >>'), { model: 'A1', software: '9' });
  assert.equal(parseSysDescr('no fields here'), undefined);
  assert.equal(parseSysDescr('<<VENDOR: only a vendor>>'), undefined);
});

test('the DOCSIS upgrade notifications decode to what the procedure waits for, whichever family it asks', () => {
  const notice = { eventIndex: 3, text: 'TFTP timeout', fileName: 'cm.bin', server: '127.0.0.1', macAddress: Buffer.alloc(6, 2) };
  const fail = encodeUpgradeNotification({ ...notice, event: 'fail' });
  assert.equal(fail.oid, docsisNotifications.docsDevCmSwUpgradeFailNotif.oid);
  assert.deepEqual(decodeAnyNotification(fail.oid, fail.varbinds), {
    kind: 'operationCompleted',
    index: undefined,
    state: 'failed',
    failCause: 'unknown',
    failMessage: 'TFTP timeout',
    family: 'docsis',
  });
  const success = encodeUpgradeNotification({ ...notice, event: 'success' });
  assert.equal(decodeAnyNotification(success.oid, success.varbinds)?.kind, 'operationCompleted');
  const init = encodeUpgradeNotification({ ...notice, event: 'init' });
  assert.equal(decodeAnyNotification(init.oid, init.varbinds)?.kind, 'operationProgress');
  // Another modem notification (DHCP failure) is not an upgrade's.
  assert.equal(decodeUpgradeNotification('1.3.6.1.2.1.132.2.0.8', []), undefined);
  assert.equal(decodeAnyNotification('1.3.6.1.4.1.99999.0.1', []), undefined);
});

test("a run's plan follows its family's capabilities and says why a step is missing", () => {
  assert.deepEqual(skippedSteps(runPlan('safeflash', family('safeflash').capabilities)), []);
  const modem = runPlan('docsis', family('docsis').capabilities);
  assert.equal(modem.configuration.applies, false);
  assert.equal(modem.reboot.ordered, false);
  assert.equal(modem.revert.applies, false);
  const lines = skippedSteps(modem);
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /backup, migrate and restore do not apply: .*provisioning/);
  assert.match(lines[1]!, /reboots by itself/);
  assert.match(lines[2]!, /falls back by itself/);
});

test("a family's OIDs are written in its objects table only", () => {
  const root = join(import.meta.dirname, '..', '..', 'src', 'families');
  const numeric = /'1\.3\.6\.1\.[0-9.]+'/;
  const offenders = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(join(root, entry.name))
        .filter((file) => file !== 'objects.ts' && numeric.test(readFileSync(join(root, entry.name, file), 'utf8')))
        .map((file) => `${entry.name}/${file}`),
    );
  assert.deepEqual(offenders, []);
});

test('two configurations kept as text compare equal once the lines that change by themselves are left out', () => {
  const rules = { problems: () => [], formatOf: () => null, isVolatile: (line: string) => line.startsWith('! Last configuration change') };
  const first = '! Last configuration change at 10:00\nhostname a\ninterface e0\n';
  const second = '! Last configuration change at 11:30\nhostname a\ninterface e0';
  assert.equal(textDigest(first, rules), textDigest(second, rules));
  const same = compareTexts(first, second, rules);
  assert.deepEqual(same, { equal: true, ignored: ['! Last configuration change at 10:00', '! Last configuration change at 11:30'], differing: [] });
  const other = compareTexts(first, second.replace('hostname a', 'hostname b'), rules);
  assert.equal(other.equal, false);
  assert.deepEqual(other.differing, ['- hostname a', '+ hostname b']);
  assert.notEqual(textDigest(first, rules), textDigest(first.replace('e0', 'e1'), rules));
});

test("a vendor family converts its own text: an IOS configuration of format 1 becomes format 2, written IOS's way; the source is only read", () => {
  const source = factoryConfig({ model: 'ISR-4321', serial: 'SN-7', format: 1 });
  const text = renderIosConfig(source, new Date('2026-01-01T00:00:00Z'));
  const copy = Buffer.from(text);
  const migrated = iosConfiguration.migrate(text, 'ISR-4321', 2);
  assert.deepEqual(text, copy);
  assert.deepEqual(migrated.steps, ['IOS router (lab) format 1 -> 2']);
  assert.equal(iosConfiguration.formatOf(migrated.text.toString('utf8')), 2);
  assert.deepEqual(parseIosConfig(migrated.text), migrateConfig(source, 'ISR-4321', 2).config);
  assert.deepEqual(iosConfiguration.migrate(text, 'ISR-4321', 1), { text, steps: [] });
  assert.throws(() => iosConfiguration.migrate(Buffer.from('hostname x\n'), 'ISR-4321', 2), MigrationError);
});
