// Reads (GET, and GETNEXT and GETBULK once net-snmp has found the instances that follow) answered straight
// from the Mib's instance nodes. net-snmp's own request path builds, for every varbind, a request object
// and closures, and for every table cell reads back the cell's whole row twice (for its callback, not for
// the answer): most of what answering a walk of a table cost. On the wire the answer is the same: each
// varbind's OID with its node's type and value; the end of the MIB as endOfMibView at the OID asked from;
// an OID with no instance as noSuchInstance under a provider, else noSuchObject (net-snmp's answers, the
// last one also past the end of the MIB from an OID that is no instance). Anything out of the ordinary
// (access refused, a provider with its own handler, an OID too short for net-snmp's encoder, a read-create
// scalar net-snmp would make on the spot) is left to net-snmp's path for the whole request, so its answers
// to those stay what they were.
import snmp from 'net-snmp';
import type { Agent, IncomingMessage, Mib, Varbind } from 'net-snmp';
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
    if (requested.oid.split('.').length < 4) return false;
    const node = mib.lookup(requested.oid);
    if (!node) {
      const missing = missingType(mib, requested.oid);
      if (missing === undefined) return false;
      varbinds.push({ oid: requested.oid, type: missing, value: null });
      continue;
    }
    if (node.value === undefined || node.value === null) return false;
    const provider = mib.getProviderNodeForInstance(node)?.provider;
    if (!provider || provider.handler !== undefined || !agent.isAllowed(pdu.type, provider, node)) return false;
    // GETNEXT and GETBULK found nothing after this instance: net-snmp asks for it as endOfMibView.
    const endOfMib = requested.type === snmp.ObjectType.EndOfMibView && pdu.type !== snmp.PduType.GetRequest;
    varbinds.push({ oid: requested.oid, type: endOfMib ? snmp.ObjectType.EndOfMibView : node.valueType, value: node.value });
  }
  const response = pdu.getResponsePduForRequest();
  response.varbinds = varbinds;
  agent.sendResponse(socket, rinfo, message, response);
  return true;
}

/**
 * How net-snmp answers an OID with no instance node: noSuchInstance under a provider, noSuchObject
 * elsewhere. Undefined where it would first make the instance (a read-create scalar), or cannot read the OID.
 */
function missingType(mib: Mib, oid: string): number | undefined {
  try {
    const parts = oid.split('.');
    // net-snmp's instance creation looks for a provider at the OID and at each shorter prefix.
    for (let length = parts.length; length > 0; length--) {
      const provider = mib.providersByOid[parts.slice(0, length).join('.')];
      if (provider === undefined) continue;
      if (provider.type === snmp.MibProviderType.Scalar && provider.maxAccess === snmp.MaxAccess['read-create']) return undefined;
      break;
    }
    return mib.getAncestorProviderFromOid(oid) ? snmp.ObjectType.NoSuchInstance : snmp.ObjectType.NoSuchObject;
  } catch {
    return undefined;
  }
}
