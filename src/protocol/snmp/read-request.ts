// Reads (GET, and GETNEXT and GETBULK once net-snmp has found the instances that follow) answered straight
// from the Mib's instance nodes. net-snmp's own request path builds, for every varbind, a request object
// and closures, and for every table cell reads back the cell's whole row twice (for its callback, not for
// the answer): most of what answering a walk of a table cost. On the wire the answer is the same: each
// varbind's OID with its node's type and value. Anything out of the ordinary (no such instance, end of
// the MIB, access refused, a provider with its own handler, an OID too short for net-snmp's encoder) is
// left to net-snmp's path for the whole request, so its answers to those stay what they were.
import snmp from 'net-snmp';
import type { Agent, IncomingMessage, Varbind } from 'net-snmp';
import type { RemoteInfo, Socket } from 'node:dgram';

const reads: ReadonlySet<number> = new Set([snmp.PduType.GetRequest, snmp.PduType.GetNextRequest, snmp.PduType.GetBulkRequest]);

/** Answers a plain read and returns true; returns false, having sent nothing, when net-snmp should answer it. */
export function answerRead(agent: Agent, socket: Socket, message: IncomingMessage, rinfo: RemoteInfo): boolean {
  const { pdu } = message;
  if (!reads.has(pdu.type)) return false;
  const securityName = message.version === snmp.Version3 ? (message.user?.name ?? '') : (message.community ?? '');
  const access = agent.getAuthorizer().getAccessControlModel();
  if (access && !access.isAccessAllowed(message.version, securityName, pdu.type)) return false;
  const mib = agent.getMib();
  const varbinds: Varbind[] = [];
  for (const requested of pdu.varbinds) {
    if (requested.type === snmp.ObjectType.EndOfMibView && pdu.type !== snmp.PduType.GetRequest) return false;
    if (requested.oid.split('.').length < 4) return false;
    const node = mib.lookup(requested.oid);
    if (!node || node.value === undefined || node.value === null) return false;
    const provider = mib.getProviderNodeForInstance(node)?.provider;
    if (!provider || provider.handler !== undefined || !agent.isAllowed(pdu.type, provider, node)) return false;
    varbinds.push({ oid: requested.oid, type: node.valueType, value: node.value });
  }
  const response = pdu.getResponsePduForRequest();
  response.varbinds = varbinds;
  agent.sendResponse(socket, rinfo, message, response);
  return true;
}
