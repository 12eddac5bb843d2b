// What an operation sees of its device while it runs. The device hands each running operation one
// context; the operation reports progress through it and reaches banks, configuration and boot logic
// only through it, so that a power cut (which ends the context) stops every later step.
import type { ImageHeader } from '../../protocol/image.ts';
import type { DeviceConfig } from '../../protocol/config.ts';
import type { download, upload } from '../../protocol/transfer.ts';
import type { BootResult } from '../boot.ts';
import type { RunningConfig } from '../config-store.ts';
import type { DeviceState } from '../device-state.ts';
import type { FaultInjector } from '../fault-injector.ts';
import type { Bank, BootCause, FailCause } from '../../protocol/vocabulary.ts';
import type { BankStatus } from '../../protocol/safeflash-mib/device-scalars.ts';
import type { OperationRequest } from '../../protocol/safeflash-mib/operation-row.ts';

export interface DeviceTransfer {
  download: typeof download;
  upload: typeof upload;
  /** Gives back the buffer of a download nothing reads any more, for the next download to fill. */
  release?: (data: Buffer) => void;
}

/**
 * How a device writes its configuration into a file and reads it back, when not in the reference
 * format (a vendor's own text, e.g. IOS's `show running-config`).
 */
export interface ConfigText {
  render(config: DeviceConfig, changedAt: Date): Buffer;
  /** Throws ConfigError for a text that is not a configuration this device can apply. */
  parse(bytes: Buffer): DeviceConfig;
}

/** An operation ends failed with this cause and message. */
export class OperationFailure extends Error {
  override name = 'OperationFailure';
  constructor(
    readonly failCause: FailCause,
    message: string,
  ) {
    super(message);
  }
}

/** The power went while the operation ran: nothing more may happen on its behalf. */
export class PowerLost extends Error {
  override name = 'PowerLost';
  constructor() {
    super('the device lost power');
  }
}

export interface OperationContext {
  /** The request, password included. */
  readonly request: OperationRequest;
  readonly model: string;
  /** The device's own address: transfers leave from it. */
  readonly address: string;
  readonly rebootRequired: boolean;
  readonly maxImageBytes: number;
  readonly maxConfigBytes: number;
  /** The device's own configuration text; the reference format when absent. */
  readonly configText: ConfigText | undefined;
  readonly transfer: DeviceTransfer;
  readonly faults: FaultInjector;
  /** Aborted when the power goes. */
  readonly signal: AbortSignal;

  /** Raises the row's progress (notifying when it moved) and throws PowerLost if the power went. */
  step(percent: number): void;
  /** Throws PowerLost if the power went since the operation started. */
  checkPower(): void;
  /** Waits, ending early with PowerLost if the power goes. */
  sleep(ms: number): Promise<void>;

  state(): DeviceState;
  bank(bank: Bank): BankStatus;
  running(): RunningConfig;
  /** Verifies an image for this device (trusted signature, this model); throws ImageError. */
  verifyImage(image: Buffer): ImageHeader;
  /** Changes the device state and saves it; resolves once on disk. */
  updateState(change: (state: DeviceState) => void): Promise<void>;
  /** Writes an image verifyImage accepted (`header` is what it returned) into the bank. */
  writeBank(bank: Bank, image: Buffer, header: ImageHeader): Promise<void>;
  /** The bank's image as it is on disk now; undefined when the bank is empty. */
  readBank(bank: Bank): Promise<Buffer | undefined>;
  writeConfig(config: DeviceConfig): Promise<void>;
  /**
   * Boots nextBootBank like a reboot: not answering for `downtimeMs` (0: software applied in place),
   * falling back to the other bank if the marked one does not start. Emits bootCompleted.
   */
  boot(cause: BootCause, downtimeMs: number): Promise<BootResult>;
}

/** An operation: resolves when it succeeded, throws OperationFailure (or PowerLost) when not. */
export type OperationRunner = (context: OperationContext) => Promise<void>;
