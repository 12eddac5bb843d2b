// JSON schemas of what the API accepts and returns. Responses are serialised through them, so a field
// that is not listed (a device's credentials, say) can never reach a client. The OpenAPI document is
// generated from these.
import { familyNames } from '../../families/family.ts';
import { converters, runStates, timeLimitNames } from '../../manager/store/records.ts';
import { checkNames } from '../../manager/procedure/checks.ts';
import { decisionAnswers } from '../../manager/procedure/decisions.ts';
import { maxTimeLimitSeconds } from '../../manager/procedure/run-options.ts';
import { transferProtocols } from '../../protocol/transfer-contract.ts';

const timestamp = { type: 'string', format: 'date-time' } as const;
export const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] }) as const;
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const operatorName = { type: 'string', pattern: '^[^\\s:][^\\s]{0,63}$', description: 'who asks, recorded as operator:<name>' } as const;
const phase = { type: 'string', enum: ['preflight', 'backup', 'upgrade', 'migrate', 'restore', 'verify', 'rollback'] } as const;
export const runState = { type: 'string', enum: runStates, description: 'upToDate: the device already ran the image; the run changed nothing' } as const;

const family = { type: 'string', enum: familyNames, description: 'the device family whose MIBs the manager speaks to it' } as const;
const transport = { type: 'string', enum: transferProtocols, description: 'tftp or ftp (FTP with credentials for each transfer)' } as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } }, reason: { type: 'string' } },
} as const;

export const deviceSchema = {
  $id: 'Device',
  type: 'object',
  description: 'A device of the inventory; credentials are never returned',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    address: { type: 'string' },
    port: { type: 'integer' },
    securityModel: { type: 'string', enum: ['v3', 'v2c'] },
    tags: { type: 'array', items: { type: 'string' } },
    model: nullable({ type: 'string' }),
    serial: nullable({ type: 'string' }),
    runningVersion: nullable({ type: 'string' }),
    configFormat: nullable({ type: 'integer' }),
    activeBank: nullable({ type: 'string' }),
    banks: nullable({
      type: 'array',
      description: 'What each bank held when the device was last read (discovery, refresh, a run)',
      items: {
        type: 'object',
        properties: {
          bank: { type: 'string' },
          state: { type: 'string', enum: ['empty', 'valid', 'invalid'] },
          version: { type: 'string' },
          configFormat: { type: 'integer' },
        },
      },
    }),
    addedAt: timestamp,
    lastSeenAt: nullable(timestamp),
    transport: nullable({ ...transport, description: "how the device moves files unless a run or its campaign says; null: the manager's default" }),
    family,
  },
} as const;

export const credentialProperties = {
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  v3User: { type: 'string', minLength: 1, maxLength: 32 },
  authKey: { type: 'string', minLength: 8, maxLength: 128 },
  privKey: { type: 'string', minLength: 8, maxLength: 128 },
  community: { type: 'string', minLength: 1, maxLength: 64 },
  tags: { type: 'array', maxItems: 16, items: { type: 'string', maxLength: 32 } },
} as const;

export const newDeviceSchema = {
  type: 'object',
  required: ['address'],
  additionalProperties: false,
  properties: {
    address: { type: 'string', maxLength: 64 },
    name: { type: 'string', maxLength: 64 },
    ...credentialProperties,
    transport: { ...transport, description: "the device's default transport for file transfers" },
    family: { ...family, description: 'which family drives the device; default: the reference IAD (discovery recognises it)' },
    operator: operatorName,
  },
} as const;

export const discoverSchema = {
  type: 'object',
  required: ['cidr'],
  additionalProperties: false,
  properties: {
    cidr: {
      type: 'string',
      maxLength: 64,
      description: 'IPv4 block of /16 or smaller, or IPv6 block of /112 or smaller, inside the networks the manager may talk to (serve --allow-networks)',
    },
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
    timeoutMs: { type: 'integer', minimum: 50, maximum: 30_000 },
    ...credentialProperties,
    operator: operatorName,
  },
} as const;

export const discoveryReportSchema = {
  type: 'object',
  properties: {
    cidr: { type: 'string' },
    scanned: { type: 'integer' },
    found: { type: 'array', items: { type: 'object', properties: { device: { $ref: 'Device#' }, added: { type: 'boolean' } } } },
    unreadable: { type: 'array', items: { type: 'object', properties: { address: { type: 'string' }, error: { type: 'string' } } } },
  },
} as const;

export const imageSchema = {
  $id: 'Image',
  type: 'object',
  properties: {
    sha256: { type: 'string' },
    model: { type: 'string' },
    version: { type: 'string' },
    configFormat: { type: 'integer' },
    size: { type: 'integer' },
    addedAt: timestamp,
    payloadSha256: nullable({ type: 'string', description: 'SHA-256 of the payload, as devices report it per bank' }),
  },
} as const;

export const backupSchema = {
  $id: 'Backup',
  type: 'object',
  properties: {
    sha256: { type: 'string' },
    deviceId: { type: 'integer' },
    runId: nullable({ type: 'string' }),
    kind: { type: 'string', enum: ['backup', 'migrated', 'operator'] },
    derivedFrom: nullable({ type: 'string' }),
    configFormat: { type: 'integer' },
    configDigest: { type: 'string' },
    size: { type: 'integer' },
    takenAt: timestamp,
  },
} as const;

const phasePolicySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    retries: { type: 'integer', minimum: 0, maximum: 20 },
    backoffSeconds: { type: 'number', minimum: 0, maximum: 86_400 },
    then: { type: 'string', enum: ['ask', 'abort'] },
  },
} as const;

const timeLimitsSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'seconds each limit allows before silence fails the operation; limits not named keep the next level (campaign, manager)',
  properties: Object.fromEntries(timeLimitNames.map((name) => [name, { type: 'integer', minimum: 1, maximum: maxTimeLimitSeconds }])),
} as const;

/** A run's options, in a run's body (and a campaign's). */
export const runOptionProperties = {
  transport: { ...transport, description: "how every file of the run moves: tftp or ftp; default: the campaign's, then the device's, then the manager's" },
  timeLimits: timeLimitsSchema,
  reinstall: {
    type: 'boolean',
    description: 'install the image even when the device already runs it: the other bank (the previous version, the way back) is overwritten',
  },
  converter: {
    type: 'string',
    enum: converters,
    description: 'who converts the configuration when the new software reads another format: the manager (default), or the device, where its family can',
  },
  stage: {
    type: 'boolean',
    description:
      'stop once the image is verified in the inactive bank, not marked for boot (state staged); the run is activated later (POST /api/runs/{run}/activate)',
  },
  whenIdle: { type: 'boolean', description: 'activate only once the device has no call in progress (where it reports its calls)' },
  skipChecks: {
    type: 'array',
    items: { type: 'string', enum: checkNames },
    uniqueItems: true,
    description: 'pre-checks and post-checks to leave out, by name',
  },
} as const;

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  description: 'What a run does when a phase fails; phases not named keep the default (retry 2 times with backoff, then ask)',
  properties: Object.fromEntries(['preflight', 'backup', 'upgrade', 'migrate', 'restore'].map((p) => [p, phasePolicySchema])),
} as const;

export const runSchema = {
  $id: 'Run',
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['upgrade', 'backup'] },
    deviceId: { type: 'integer' },
    imageSha256: nullable({ type: 'string' }),
    policy: { type: 'object', additionalProperties: true },
    state: runState,
    phase,
    startedBy: { type: 'string' },
    createdAt: timestamp,
    updatedAt: timestamp,
    outcome: nullable({ type: 'object', additionalProperties: true }),
    options: nullable({
      type: 'object',
      description: 'how the run works, fixed at its start: null for runs recorded before runs kept them',
      properties: runOptionProperties,
    }),
    cancelRequestedBy: {
      ...nullable({ type: 'string' }),
      description: 'the operator who asked to cancel the run (operator:<name>); it stops at its next safe point',
    },
    cancelRequestedAt: nullable(timestamp),
  },
} as const;

export const runEventSchema = {
  $id: 'RunEvent',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: timestamp,
    phase,
    kind: { type: 'string' },
    actor: { type: 'string' },
    cause: nullable({ type: 'string' }),
    message: { type: 'string' },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

export const decisionSchema = {
  $id: 'Decision',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    runId: { type: 'string' },
    at: timestamp,
    actor: { type: 'string' },
    answer: { type: 'string', enum: decisionAnswers },
    imageSha256: nullable({ type: 'string' }),
    backupSha256: nullable({ type: 'string' }),
  },
} as const;

/** How many runs one request may start: a large fleet's night in a few requests, not an unbounded body. */
export const maxRunsPerBatch = 10_000;

export const newRunSchema = {
  type: 'object',
  required: ['device', 'image'],
  additionalProperties: false,
  properties: {
    device: { type: 'string', minLength: 1, maxLength: 64, description: 'device id, name or address' },
    image: { type: 'string', pattern: '^[0-9a-f]{8,64}$', description: 'SHA-256 of the image, or a unique prefix of 8 or more digits' },
    policy: policySchema,
    operator: operatorName,
    ...runOptionProperties,
  },
} as const;

const { device: oneDevice, ...runChoices } = newRunSchema.properties;

/** Many devices, one image and one set of choices: a run each (POST /api/runs/batch). */
export const newRunsSchema = {
  type: 'object',
  required: ['devices', 'image'],
  additionalProperties: false,
  properties: {
    devices: { type: 'array', minItems: 1, maxItems: maxRunsPerBatch, items: oneDevice, description: 'device ids, names or addresses' },
    ...runChoices,
  },
} as const;

export const newDecisionSchema = {
  type: 'object',
  required: ['answer'],
  additionalProperties: false,
  properties: {
    answer: { type: 'string', enum: decisionAnswers },
    image: sha256,
    config: { type: 'string', minLength: 1, maxLength: 1024 * 1024, description: 'an edited configuration file (text) to restore' },
    operator: operatorName,
  },
} as const;

export const operatorBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { operator: operatorName },
} as const;

export const newBackupSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { operator: operatorName, transport: runOptionProperties.transport, timeLimits: runOptionProperties.timeLimits },
} as const;

const endpoint = { type: 'object', properties: { address: { type: 'string' }, port: { type: 'integer' } } } as const;

export const managerSchema = {
  $id: 'Manager',
  type: 'object',
  description: 'A manager sharing the database: whether it is alive, and the work it holds',
  properties: {
    executorId: { type: 'string', description: 'its name among the managers (DBOS executor ID)' },
    host: { type: 'string' },
    pid: { type: 'integer' },
    endpoints: {
      type: 'object',
      properties: { http: endpoint, notifications: endpoint, tftp: endpoint, ftp: endpoint },
    },
    state: { type: 'string', enum: ['up', 'stopped', 'dead'], description: 'dead: it went silent while up and another manager took over its work' },
    self: { type: 'boolean', description: 'the manager answering this request' },
    startedAt: timestamp,
    lastHeartbeatAt: timestamp,
    silentSeconds: { type: 'number', description: 'since its last heartbeat, on the database clock' },
    takenOverBy: nullable({ type: 'string' }),
    takenOverAt: nullable(timestamp),
    workflowsTaken: nullable({ type: 'integer' }),
    runsHeld: { type: 'integer', description: 'runs whose workflow it executes now' },
    campaignsHeld: { type: 'integer', description: 'campaigns whose workflow it executes now' },
  },
} as const;

export const sharedSchemas = [errorSchema, deviceSchema, imageSchema, backupSchema, runSchema, runEventSchema, decisionSchema, managerSchema];

export const errorResponses = {
  400: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
  409: { $ref: 'Error#' },
  415: { $ref: 'Error#' },
  422: { $ref: 'Error#' },
} as const;
