// The acknowledgement of an SNMPv2c inform, made from the inform's own datagram. RFC 3416 section 4.2.7:
// the Response-PDU carries the InformRequest-PDU's request-id, error-status, error-index and
// variable-bindings unchanged. In a v2c message nothing else changes either (same version, same
// community), so the acknowledgement is the datagram with the PDU's tag turned from InformRequest into
// Response: no decoding and encoding of every varbind, which is most of what acknowledging one costs.
// (SNMPv3 informs are authenticated and encrypted afresh: net-snmp answers those.)

const sequenceTag = 0x30;
const integerTag = 0x02;
const octetStringTag = 0x04;
const informRequestTag = 0xa6;
const responseTag = 0xa2;
const version2c = 1;

/** One BER element's tag and where its content starts and ends, or undefined if it does not fit. */
function element(datagram: Buffer, offset: number, end: number): { tag: number; start: number; end: number } | undefined {
  if (offset + 2 > end) return undefined;
  const tag = datagram[offset]!;
  const first = datagram[offset + 1]!;
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 3 || start + octets > end) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + datagram[start + i]!;
    start += octets;
  }
  return start + length <= end ? { tag, start, end: start + length } : undefined;
}

/**
 * The Response datagram acknowledging a v2c InformRequest datagram, or undefined when the datagram is
 * not one (another version, another PDU, malformed): a new buffer, the datagram itself is left as it is.
 */
export function informAcknowledgement(datagram: Buffer): Buffer | undefined {
  const message = element(datagram, 0, datagram.length);
  if (message?.tag !== sequenceTag || message.end !== datagram.length) return undefined;
  const version = element(datagram, message.start, message.end);
  if (version?.tag !== integerTag || version.end !== version.start + 1 || datagram[version.start] !== version2c) return undefined;
  const community = element(datagram, version.end, message.end);
  if (community?.tag !== octetStringTag) return undefined;
  const pdu = element(datagram, community.end, message.end);
  if (pdu?.tag !== informRequestTag || pdu.end !== message.end) return undefined;
  const acknowledgement = Buffer.from(datagram);
  acknowledgement[community.end] = responseTag;
  return acknowledgement;
}
