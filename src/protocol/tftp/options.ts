// Option negotiation: blksize (RFC 2348), timeout and tsize (RFC 2349), windowsize (RFC 7440),
// as the client proposes them and as the server answers them in an OACK (RFC 2347).
import { TftpFailure } from './errors.ts';
import { TftpErrorCode, type TftpOptionList } from './packet.ts';

export const DEFAULT_BLKSIZE = 512;
export const MIN_BLKSIZE = 8;
export const MAX_BLKSIZE = 65464;
export const MIN_TIMEOUT_SECONDS = 1;
export const MAX_TIMEOUT_SECONDS = 255;
/**
 * Window sizes beyond this are clamped: block numbers are 16 bits, and a window far below half the
 * number space keeps every ACK unambiguous across rollover.
 */
export const MAX_WINDOWSIZE = 1024;

/** What a client proposes; an absent field is not proposed. */
export interface OptionProposal {
  blksize?: number;
  windowsize?: number;
  timeoutSeconds?: number;
  /** Read requests propose 0 to learn the size; write requests announce the size. */
  tsize?: number;
}

/** What both sides use for the transfer once the OACK (or its absence) settled it. */
export interface TransferParameters {
  blksize: number;
  windowsize: number;
  /** Set when the peer agreed on a retransmission timeout. */
  timeoutSeconds: number | undefined;
  /** The file size, when announced. */
  tsize: number | undefined;
}

export const PLAIN_RFC1350: TransferParameters = {
  blksize: DEFAULT_BLKSIZE,
  windowsize: 1,
  timeoutSeconds: undefined,
  tsize: undefined,
};

export function proposalToOptions(proposal: OptionProposal): TftpOptionList {
  const options: Array<readonly [string, string]> = [];
  if (proposal.blksize !== undefined) options.push(['blksize', String(proposal.blksize)]);
  if (proposal.timeoutSeconds !== undefined) options.push(['timeout', String(proposal.timeoutSeconds)]);
  if (proposal.tsize !== undefined) options.push(['tsize', String(proposal.tsize)]);
  if (proposal.windowsize !== undefined) options.push(['windowsize', String(proposal.windowsize)]);
  return options;
}

/** Parses a decimal option value; anything but plain digits is not a number here. */
function decimal(value: string): number | undefined {
  return /^[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
}

function refused(message: string): TftpFailure {
  return new TftpFailure('protocolError', message, TftpErrorCode.optionRefused);
}

export interface ServerOptionLimits {
  maxBlksize: number;
  maxWindowsize: number;
}

export interface ServerNegotiation {
  parameters: TransferParameters;
  /** The OACK options; empty means no OACK is sent and the transfer starts as plain RFC 1350. */
  reply: TftpOptionList;
}

/**
 * The server's answer to the options of a request. Unknown options are ignored (RFC 2347);
 * a known option with a value no one could honour is refused with error 8.
 * `fileSize` is the size of the file being read, or undefined for a write.
 */
export function negotiateAsServer(options: TftpOptionList, limits: ServerOptionLimits, fileSize: number | undefined): ServerNegotiation {
  const parameters: TransferParameters = { ...PLAIN_RFC1350 };
  const reply: Array<readonly [string, string]> = [];
  for (const [name, value] of options) {
    const key = name.toLowerCase();
    const n = decimal(value);
    switch (key) {
      case 'blksize':
        if (n === undefined || n < MIN_BLKSIZE) throw refused(`blksize "${value}" is not an integer >= ${MIN_BLKSIZE}`);
        parameters.blksize = Math.min(n, limits.maxBlksize, MAX_BLKSIZE);
        reply.push([name, String(parameters.blksize)]);
        break;
      case 'windowsize':
        if (n === undefined || n < 1 || n > 65535) throw refused(`windowsize "${value}" is not an integer from 1 to 65535`);
        parameters.windowsize = Math.min(n, limits.maxWindowsize, MAX_WINDOWSIZE);
        reply.push([name, String(parameters.windowsize)]);
        break;
      case 'timeout':
        if (n === undefined || n < MIN_TIMEOUT_SECONDS || n > MAX_TIMEOUT_SECONDS) {
          throw refused(`timeout "${value}" is not an integer from ${MIN_TIMEOUT_SECONDS} to ${MAX_TIMEOUT_SECONDS}`);
        }
        parameters.timeoutSeconds = n;
        reply.push([name, value]);
        break;
      case 'tsize':
        if (n === undefined) throw refused(`tsize "${value}" is not a non-negative integer`);
        parameters.tsize = fileSize ?? n;
        reply.push([name, String(parameters.tsize)]);
        break;
      default:
        break;
    }
  }
  return { parameters, reply };
}

/**
 * Checks an OACK against what the client proposed: the server may only lower blksize and windowsize,
 * must echo timeout, and may only answer options that were proposed.
 */
export function acceptOack(proposal: OptionProposal, oack: TftpOptionList): TransferParameters {
  const parameters: TransferParameters = { ...PLAIN_RFC1350 };
  for (const [name, value] of oack) {
    const key = name.toLowerCase();
    const n = decimal(value);
    switch (key) {
      case 'blksize':
        if (proposal.blksize === undefined) throw refused('server answered blksize, which was not proposed');
        if (n === undefined || n < MIN_BLKSIZE || n > proposal.blksize) {
          throw refused(`server answered blksize ${value}, outside ${MIN_BLKSIZE}..${proposal.blksize}`);
        }
        parameters.blksize = n;
        break;
      case 'windowsize':
        if (proposal.windowsize === undefined) throw refused('server answered windowsize, which was not proposed');
        if (n === undefined || n < 1 || n > proposal.windowsize) {
          throw refused(`server answered windowsize ${value}, outside 1..${proposal.windowsize}`);
        }
        parameters.windowsize = n;
        break;
      case 'timeout':
        if (proposal.timeoutSeconds === undefined || n !== proposal.timeoutSeconds) {
          throw refused(`server answered timeout ${value}, but ${proposal.timeoutSeconds ?? 'none'} was proposed`);
        }
        parameters.timeoutSeconds = n;
        break;
      case 'tsize':
        if (proposal.tsize === undefined) throw refused('server answered tsize, which was not proposed');
        if (n === undefined) throw refused(`server answered tsize "${value}", not a non-negative integer`);
        parameters.tsize = n;
        break;
      default:
        throw refused(`server answered option "${name}", which was not proposed`);
    }
  }
  return parameters;
}
