// Durable steps around the device's operations: read the device over SNMP, order an operation, wait
// for what its notifications said, look at its row. A device that does not answer is an outcome here,
// not an exception: the workflow judges it.
import { durableStep, keptForExecution, ridingWithJournal, stepKey, withJournal } from './run-journal.ts';
import { UnsupportedOrder } from '../../families/family.ts';
import { family } from '../../families/families.ts';
import { SnmpError } from '../../protocol/snmp/errors.ts';
import type { OperationOrder } from '../../protocol/safeflash-mib/operation-row.ts';
import type { DeviceStore } from '../store/devices.ts';
import { NetworkNotAllowedError } from '../inventory/allowed-networks.ts';
import type { DeviceRecord, Phase } from '../store/records.ts';
import type { RunStore } from '../store/runs.ts';
import type { OperationRoutes, OperationSignal } from '../store/operation-routes.ts';
import type { OperationSignals } from './operation-signals.ts';
import type { DeviceCommands } from './procedure-deps.ts';
import type { ConditionReading, Outcome, Poll, Reading } from './step-types.ts';
import { cancelFailure, cancelledCause, startsAfterCancel } from './decisions.ts';
import type { Cause } from './causes.ts';
import type { OperationType } from '../../protocol/vocabulary.ts';

export interface DeviceStepServices {
  devices: DeviceStore;
  runs: RunStore;
  routes: OperationRoutes;
  driverFor: (device: DeviceRecord) => DeviceCommands;
  notifyTarget: { address: string; port: number };
  /** The password of an FTP transfer, by its user name: the order carries the name only, as the run's journal does. */
  transferPassword(username: string): string;
  /** Progress seen while polling, for display. */
  onProgress(runId: string, progress: number): void;
  /** Wakes a wait when its operation's notifications are recorded. */
  signals: OperationSignals;
}

/** Why a device command failed, in the procedure's words. */
export function commandFailure(error: unknown): { cause: Cause; message: string } {
  // Nothing was sent: the device's address is outside the networks the manager may talk to.
  if (error instanceof NetworkNotAllowedError) return { cause: 'networkNotAllowed', message: error.message };
  if (error instanceof UnsupportedOrder) return { cause: 'notSupported', message: error.message };
  if (error instanceof SnmpError) {
    if (error.failure === 'timeout') return { cause: 'silent', message: 'the device does not answer' };
    if (error.failure === 'errorStatus' && error.status === 'resourceUnavailable') return { cause: 'busy', message: `the device refused: ${error.message}` };
    if (error.failure === 'errorStatus') return { cause: 'refused', message: `the device refused the order: ${error.message}` };
    return { cause: error.failure, message: error.message };
  }
  return { cause: 'unknown', message: (error as Error).message };
}

/** An operation ordered (or found already there), and when: or why not. */
export type StartedOperation = Outcome<{ at: number }>;

/** A run's readings of its device refresh the inventory's "last seen" at most this often when nothing changed. */
const readingRefreshMs = 60_000;

/**
 * The run's device as the inventory holds it, read once per execution of the run's workflow rather than
 * at every step. What the steps use of it (its address, port, credentials and family) cannot change
 * while the run goes on: the inventory edits none of them, and refuses to remove a device that has runs
 * on record. Its readings (model, versions, banks), which do change, are not used from this copy. A
 * run that starts later, or is resumed, reads the device again.
 */
export function runDevice(devices: Pick<DeviceStore, 'get'>, deviceId: number): Promise<DeviceRecord | undefined> {
  return keptForExecution(`device:${deviceId}`, () => devices.get(deviceId));
}

export function registerDeviceSteps(services: DeviceStepServices) {
  async function withDevice<T>(deviceId: number, work: (driver: DeviceCommands) => Promise<T>): Promise<T> {
    const device = await runDevice(services.devices, deviceId);
    if (!device) throw new Error(`device ${deviceId} is no longer in the inventory`);
    const driver = services.driverFor(device);
    try {
      return await work(driver);
    } finally {
      driver.close();
    }
  }

  return {
    readDevice: durableStep('safeflash.readDevice', async (deviceId: number): Promise<Reading> => {
      try {
        const reading = await withDevice(deviceId, (driver) => driver.read());
        // The inventory's copy is written with the run's next answers, before the run acts on it.
        // A later reading of the device, written with the same answers, makes this one's write needless.
        await ridingWithJournal((db) => services.devices.recordReading(deviceId, reading, { unlessSeenWithinMs: readingRefreshMs }, db), `reading:${deviceId}`);
        return { ok: true, reading };
      } catch (error) {
        return { ok: false, ...commandFailure(error) };
      }
    }),

    /** What the device serves and how much room it has (the checks' facts); not kept with the device. */
    readCondition: durableStep('safeflash.readCondition', async (deviceId: number): Promise<ConditionReading> => {
      try {
        return { ok: true, condition: await withDevice(deviceId, (driver) => driver.readCondition()) };
      } catch (error) {
        return { ok: false, ...commandFailure(error) };
      }
    }),

    /**
     * Looks for a cancel request first: one holds back every operation but those that bring the device
     * back (procedure/cancel.ts). Else records the route (its notifications may arrive before the SET's
     * answer) with the run's operationStarted event, in the same statement, and orders the operation.
     * What the run learned before (its journal, the offer's row) is written in the same transaction:
     * one commit. Replayed after a crash, it sends the same order to the same index: the device answers
     * it as a repeat. Says when it was ordered: the wait's deadline counts from then.
     */
    startOperation: durableStep(
      'safeflash.startOperation',
      async (runId: string, deviceId: number, phase: Phase, index: number, order: OperationOrder): Promise<StartedOperation> => {
        const cancel = await withJournal(
          async (db) =>
            (await services.routes.recordOrder(
              {
                route: { deviceId, index, runId, phase, type: order.type },
                heedCancel: !startsAfterCancel(phase, order.type),
                stepKey: stepKey(),
                message: `${order.type}${order.fileName ? ` ${order.fileName}` : ''} as operation ${index}`,
                detail: { index, type: order.type, protocol: order.protocol ?? null, server: order.server ?? null },
              },
              db,
            )) as `operator:${string}` | undefined,
        );
        if (cancel) return { ok: false, cause: cancelledCause, message: `${order.type} not started: ${cancelFailure(phase, cancel).message}` };
        try {
          const password = order.username !== undefined && order.password === undefined ? { password: services.transferPassword(order.username) } : {};
          await withDevice(deviceId, (driver) => driver.startOperation(index, { ...order, ...password, notifyTarget: services.notifyTarget }));
          return { ok: true, at: Date.now() };
        } catch (error) {
          // The row may be there already: ordered by a manager that stopped before it could record so
          // (with its own notification target, so the device does not take this order as a repeat), or
          // ordered by this step with the answer lost. The index is this step's alone: the row is the
          // step's operation, and the run follows it rather than give the device a second one.
          const device = await runDevice(services.devices, deviceId);
          const rows = device !== undefined && family(device.family).capabilities.operationRows;
          const existing = rows ? await withDevice(deviceId, (driver) => driver.readOperation(index, order.type)).catch(() => undefined) : undefined;
          if (existing === undefined) return { ok: false, ...commandFailure(error) };
          await services.runs.recordEvent(runId, stepKey('adopted'), {
            phase,
            kind: 'operationAdopted',
            actor: 'manager',
            message: `${order.type} ${index} was already on the device (${existing.state}): followed, not ordered again`,
            detail: { index, type: order.type, state: existing.state },
          });
          return { ok: true, at: Date.now() };
        }
      },
      // It orders a change on the device: what the run learned before is written first, with the order.
      { carries: true },
    ),

    /**
     * Waits until the operation's notifications say something new (its end, or a boot after the
     * `bootsSeen` first ones) or until `untilMs`, and answers what they said. The wait's end is the
     * workflow's, counted from recorded times: a wait resumed after a crash ends when the first would have.
     */
    awaitSignal: durableStep(
      'safeflash.awaitSignal',
      async (runId: string, deviceId: number, index: number, untilMs: number, bootsSeen: number): Promise<OperationSignal> => {
        // The first look goes with what the run learned before, written before it waits.
        let read = (): Promise<OperationSignal> => withJournal((db) => services.routes.signal(deviceId, index, db), { reads: true });
        const news = (signal: OperationSignal) => signal.ended !== null || signal.boots > bootsSeen;
        let heard: OperationSignal | undefined;
        for (;;) {
          const wakeUp = services.signals.wakeUp({ runId, index }, untilMs);
          // A read that fails leaves its wake-up to lapse on its own (the step is tried again). What a
          // wake-up carried is taken as read when it is news; anything else is read from the route.
          const signal = heard && news(heard) ? heard : await read();
          read = () => services.routes.signal(deviceId, index);
          if (news(signal) || Date.now() >= untilMs) {
            wakeUp.cancel();
            return signal;
          }
          heard = await wakeUp.woken;
        }
      },
      // It waits: what the run learned before is written first, with its first look.
      { retries: true, carries: true },
    ),

    pollOperation: durableStep('safeflash.pollOperation', async (runId: string, deviceId: number, index: number, type: OperationType): Promise<Poll> => {
      try {
        const reading = await withDevice(deviceId, (driver) => driver.readOperation(index, type));
        if (reading) services.onProgress(runId, reading.progress);
        return { at: Date.now(), answered: true, ...(reading ? { reading } : {}) };
      } catch (error) {
        return { at: Date.now(), answered: false, message: commandFailure(error).message };
      }
    }),
  };
}

export type DeviceSteps = ReturnType<typeof registerDeviceSteps>;
