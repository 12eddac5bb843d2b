// Format 1 (software 3.x) to format 2 (software 4.x). What moves where is stated in
// src/protocol/config/format2.ts; in short:
// - [port N] becomes [fxs N]; its SIP credentials become [sip.account N] (same number as the port) and
//   the port names it with "account = N".
// - Codec names are renamed (PCMA -> g711a ...) and get the 20 ms packetization time format 1 always used.
// - [sip] t1_ms/t2_ms/dtmf are renamed (rfc2833 is rfc4733, info is sip-info); session_expires_s is new
//   and takes its documented default, marked as default.
// Everything else (users, management, SNMP, NTP, VLANs, WAN, LAN, QoS, customer) is copied verbatim.
//
// Format 1 allows a disabled port to keep part of a SIP account (a user without a password, or a display
// name alone); format 2 has no place for a partial account, so such a port is refused, never trimmed.
import { codecNameFromV1, configSchema, dtmfModeFromV1 } from '../../config.ts';
import type { CodecV2, DeviceConfigV1, DeviceConfigV2, FxsPortV1, FxsPortV2, SipAccountV2, SipV1, SipV2 } from '../../config.ts';
import { MigrationError } from './migration-error.ts';
import { DefaultedMarks, withoutUndefined } from './provenance.ts';
import { sameSipParts, sharedParts } from './shared-parts.ts';

/** The one packetization time format 1 knows. */
export const format1PtimeMs = 20;

export function format1To2(source: DeviceConfigV1): DeviceConfigV2 {
  const marks = new DefaultedMarks(configSchema(1), configSchema(2), source.defaulted);
  const problems = source.ports.flatMap(partialAccountProblems);
  if (problems.length > 0) throw new MigrationError('unrepresentable', problems);
  const sip_accounts = source.ports.flatMap((port) => accountOf(port) ?? []);
  return {
    format: 2,
    ...sharedParts(source),
    sip: sipV2(source.sip, marks),
    sip_accounts,
    fxs: source.ports.map((port) => fxsPort(port, marks)),
    defaulted: marks.list(),
  };
}

function sipV2(sip: SipV1, marks: DefaultedMarks): SipV2 {
  return withoutUndefined<SipV2>({
    ...sameSipParts(sip, marks),
    timer_t1_ms: marks.carry('sip.t1_ms', 'sip.timer_t1_ms', sip.t1_ms),
    timer_t2_ms: marks.carry('sip.t2_ms', 'sip.timer_t2_ms', sip.t2_ms),
    dtmf_mode: marks.carry('sip.dtmf', 'sip.dtmf_mode', dtmfModeFromV1[sip.dtmf]),
    session_expires_s: marks.introduce<number>('sip.session_expires_s'),
  });
}

/** The account a port's credentials become: numbered like the port, so that ports and accounts pair up plainly. */
function accountOf(port: FxsPortV1): SipAccountV2 | undefined {
  if (port.sip_user === undefined || port.sip_password === undefined) return undefined;
  return withoutUndefined<SipAccountV2>({ account: port.port, user: port.sip_user, password: port.sip_password, display_name: port.sip_display_name });
}

function partialAccountProblems(port: FxsPortV1): string[] {
  if (accountOf(port) !== undefined) return [];
  const held = (['sip_user', 'sip_password', 'sip_display_name'] as const).filter((key) => port[key] !== undefined);
  if (held.length === 0) return [];
  const missing = port.sip_user === undefined ? 'sip_user' : 'sip_password';
  return [`[port ${port.port}] ${held.join(', ')}: part of a SIP account without ${missing}; format 2 keeps only whole accounts (user and password)`];
}

function fxsPort(port: FxsPortV1, marks: DefaultedMarks): FxsPortV2 {
  const from = `port ${port.port}`;
  const to = `fxs ${port.port}`;
  const codecs: CodecV2[] = port.codecs.map((codec) => ({ codec: codecNameFromV1[codec], ptime_ms: format1PtimeMs }));
  return withoutUndefined<FxsPortV2>({
    port: port.port,
    enabled: marks.carry(`${from}.enabled`, `${to}.enabled`, port.enabled),
    number: marks.carry(`${from}.number`, `${to}.number`, port.number),
    account: accountOf(port)?.account,
    codecs: marks.carry(`${from}.codecs`, `${to}.codecs`, codecs),
    echo_canceller: marks.carry(`${from}.echo_cancel`, `${to}.echo_canceller`, port.echo_cancel),
    tx_gain_db: marks.carry(`${from}.gain_tx`, `${to}.tx_gain_db`, port.gain_tx),
    rx_gain_db: marks.carry(`${from}.gain_rx`, `${to}.rx_gain_db`, port.gain_rx),
  });
}
