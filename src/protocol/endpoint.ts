// Where a peer listens, as every part speaks of it: SNMP agents and receivers, file servers, the HTTP API.

/** A UDP or TCP peer: an IPv4 or IPv6 address and a port. */
export interface Endpoint {
  address: string;
  port: number;
}
