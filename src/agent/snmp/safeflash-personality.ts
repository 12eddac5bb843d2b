// The reference IAD's own face: SAFEFLASH-MIB, read from mib/SAFEFLASH-MIB.txt.
import { oid } from '../../protocol/mib.ts';
import { bootCompletedNotification, operationNotification } from '../../protocol/safeflash-mib/notifications.ts';
import { sfProviders } from '../../protocol/safeflash-mib/providers.ts';
import type { Personality } from './personality.ts';
import { viewRefresher } from './refresh.ts';
import { applySet } from './set-request.ts';

export const safeflashPersonality: Personality = {
  family: 'safeflash',
  face: (device) => ({
    providers: sfProviders,
    sysObjectID: oid('safeflashMIB'),
    sysDescr: (status) => `Safeflash reference IAD ${status.model}, software ${status.runningVersion}`,
    refresh: viewRefresher(device),
    set: (varbinds) => applySet(device, varbinds),
    progressNotification: (op) => operationNotification('sfOpProgressNotification', op),
    completionNotification: (op) => operationNotification('sfOpCompletionNotification', op),
    bootNotification: (status) => bootCompletedNotification(status),
  }),
};
