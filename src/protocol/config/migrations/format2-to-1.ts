// Format 2 (software 4.x) back to format 1 (software 3.x), for a full rollback to the old software. The
// exact reverse of format1-to-2.ts for everything format 1 can hold. Format 1 cannot hold, and so this
// step refuses (listing each one) rather than drop:
// - a session_expires_s the customer set (format 1 has no SIP session timer; the factory default is dropped);
// - an auth_user on a SIP account (format 1 authenticates with the user name);
// - a SIP account no port uses (format 1 keeps credentials only inside a port);
// - a codec with a packetization time other than 20 ms (format 1 always sends 20 ms).
// Account numbers are not kept: format 1 has none, and going forward again numbers each account like its
// port. Which account a port uses is kept, which is what the number stood for.
import { codecNameFromV1, configSchema, dtmfModeFromV1 } from '../../config.ts';
import type { CodecV1, DeviceConfigV1, DeviceConfigV2, FxsPortV1, FxsPortV2, SipAccountV2, SipV1, SipV2 } from '../../config.ts';
import { format1PtimeMs } from './format1-to-2.ts';
import { MigrationError } from './migration-error.ts';
import { DefaultedMarks, withoutUndefined } from './provenance.ts';
import { sameSipParts, sharedParts } from './shared-parts.ts';

const codecNameToV1 = inverse(codecNameFromV1);
const dtmfToV1 = inverse(dtmfModeFromV1);

function inverse<K extends string, V extends string>(table: Record<K, V>): Record<V, K> {
  return Object.fromEntries(Object.entries(table).map(([key, value]) => [value, key])) as Record<V, K>;
}

export function format2To1(source: DeviceConfigV2): DeviceConfigV1 {
  const marks = new DefaultedMarks(configSchema(2), configSchema(1), source.defaulted);
  const problems = unrepresentable(source, marks);
  if (problems.length > 0) throw new MigrationError('unrepresentable', problems);
  const accounts = new Map(source.sip_accounts.map((account) => [account.account, account]));
  return {
    format: 1,
    ...sharedParts(source),
    sip: sipV1(source.sip, marks),
    ports: source.fxs.map((port) => portV1(port, port.account === undefined ? undefined : accounts.get(port.account), marks)),
    defaulted: marks.list(),
  };
}

/** Every customer value format 1 has no place for, as "[section] key: why". */
function unrepresentable(config: DeviceConfigV2, marks: DefaultedMarks): string[] {
  const problems: string[] = [];
  if (!marks.wasDefault('sip.session_expires_s')) {
    problems.push(`[sip] session_expires_s: set to ${config.sip.session_expires_s} s; format 1 (software 3.x) has no SIP session timer`);
  }
  const used = new Set(config.fxs.map((port) => port.account));
  for (const account of config.sip_accounts) {
    const section = `[sip.account ${account.account}]`;
    if (account.auth_user !== undefined)
      problems.push(`${section} auth_user: format 1 has no separate authentication name (it authenticates as user ${account.user})`);
    if (!used.has(account.account)) problems.push(`${section}: no [fxs N] uses this account; format 1 keeps SIP accounts only inside a port`);
  }
  for (const port of config.fxs) {
    if (marks.wasDefault(`fxs ${port.port}.codecs`)) continue;
    const odd = port.codecs.filter((codec) => codec.ptime_ms !== format1PtimeMs);
    if (odd.length > 0) {
      const written = odd.map((codec) => `${codec.codec}:${codec.ptime_ms}`).join(' ');
      problems.push(`[fxs ${port.port}] codecs: ${written}; format 1 always packetizes at ${format1PtimeMs} ms`);
    }
  }
  return problems;
}

function sipV1(sip: SipV2, marks: DefaultedMarks): SipV1 {
  return withoutUndefined<SipV1>({
    ...sameSipParts(sip, marks),
    t1_ms: marks.carry('sip.timer_t1_ms', 'sip.t1_ms', sip.timer_t1_ms),
    t2_ms: marks.carry('sip.timer_t2_ms', 'sip.t2_ms', sip.timer_t2_ms),
    dtmf: marks.carry('sip.dtmf_mode', 'sip.dtmf', dtmfToV1[sip.dtmf_mode]),
  });
}

function portV1(port: FxsPortV2, account: SipAccountV2 | undefined, marks: DefaultedMarks): FxsPortV1 {
  const from = `fxs ${port.port}`;
  const to = `port ${port.port}`;
  const codecs: CodecV1[] = port.codecs.map((codec) => codecNameToV1[codec.codec]);
  return withoutUndefined<FxsPortV1>({
    port: port.port,
    enabled: marks.carry(`${from}.enabled`, `${to}.enabled`, port.enabled),
    number: marks.carry(`${from}.number`, `${to}.number`, port.number),
    sip_user: account?.user,
    sip_password: account?.password,
    sip_display_name: account?.display_name,
    codecs: marks.carry(`${from}.codecs`, `${to}.codecs`, codecs),
    echo_cancel: marks.carry(`${from}.echo_canceller`, `${to}.echo_cancel`, port.echo_canceller),
    gain_tx: marks.carry(`${from}.tx_gain_db`, `${to}.gain_tx`, port.tx_gain_db),
    gain_rx: marks.carry(`${from}.rx_gain_db`, `${to}.gain_rx`, port.rx_gain_db),
  });
}
