// DOCSIS cable modems (RFC 4639 docsDevSoftware, RFC 4547 notifications). One upgrade at a time, no
// progress, the modem reboots by itself after a good download and falls back by itself after a bad
// one; its configuration comes from the operator's provisioning file, so there is nothing to back up.
import type { Family } from '../family.ts';
import { DocsisDriver } from './driver.ts';
import { decodeUpgradeNotification } from './notifications.ts';
import { parseSysDescr } from './sys-descr.ts';

export const docsisFamily: Family = {
  name: 'docsis',
  title: 'DOCSIS cable modem (RFC 4639)',
  capabilities: {
    progress: false,
    notifications: true,
    reboot: 'self',
    operationsAtOnce: 1,
    operationRows: false,
    configBackup: false,
    configDigest: false,
    revert: false,
    convertsConfig: false,
    stages: false,
  },
  // Modems carry their vendor's sysObjectID; what marks them is the sysDescr DOCSIS prescribes.
  recognises: (system) => parseSysDescr(system.sysDescr)?.model !== undefined,
  driver: (session) => new DocsisDriver(session),
  decodeNotification: decodeUpgradeNotification,
};
