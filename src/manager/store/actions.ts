// The names of the operators' actions the store records: one list each, for the store, the audit
// export's API schema and the CLI's options (which need the names, not the database code).

/** The inventory changes device_events records, named as the audit export names them. */
export const deviceEventActions = ['device.add', 'device.import', 'device.discover', 'device.refresh', 'device.remove'] as const;

export type DeviceEventAction = (typeof deviceEventActions)[number];

/** The actions the export names. */
export const auditActions = [
  'run.start',
  'backup.start',
  'run.decide',
  'run.activate',
  'run.cancel',
  'campaign.create',
  'campaign.approve',
  'campaign.pause',
  'campaign.resume',
  'campaign.abort',
  'token.create',
  'token.revoke',
  'image.add',
  ...deviceEventActions,
] as const;

export type AuditAction = (typeof auditActions)[number];
