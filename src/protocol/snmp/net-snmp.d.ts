// Declarations for the parts of net-snmp 3.29.2 (an untyped CommonJS package) that Safeflash uses.
// Only what src/protocol/snmp/ calls is declared; the rest of the code goes through that wrapper.
declare module 'net-snmp' {
  import type { Socket, RemoteInfo } from 'node:dgram';
  import type { EventEmitter } from 'node:events';

  export const Version1: 0;
  export const Version2c: 1;
  export const Version3: 3;
  export type VersionNumber = 0 | 1 | 3;

  export const ObjectType: {
    Boolean: 1;
    Integer: 2;
    OctetString: 4;
    Null: 5;
    OID: 6;
    IpAddress: 64;
    Counter: 65;
    Gauge: 66;
    TimeTicks: 67;
    Opaque: 68;
    Counter64: 70;
    NoSuchObject: 128;
    NoSuchInstance: 129;
    EndOfMibView: 130;
  } & Record<number, string>;

  export const ErrorStatus: {
    NoError: 0;
    TooBig: 1;
    NoSuchName: 2;
    BadValue: 3;
    ReadOnly: 4;
    GeneralError: 5;
    NoAccess: 6;
    WrongType: 7;
    WrongLength: 8;
    WrongEncoding: 9;
    WrongValue: 10;
    NoCreation: 11;
    InconsistentValue: 12;
    ResourceUnavailable: 13;
    CommitFailed: 14;
    UndoFailed: 15;
    AuthorizationError: 16;
    NotWritable: 17;
    InconsistentName: 18;
  } & Record<number, string>;

  export const PduType: {
    GetRequest: 160;
    GetNextRequest: 161;
    GetResponse: 162;
    SetRequest: 163;
    Trap: 164;
    GetBulkRequest: 165;
    InformRequest: 166;
    TrapV2: 167;
    Report: 168;
  } & Record<number, string>;

  export const SecurityLevel: { noAuthNoPriv: 1; authNoPriv: 2; authPriv: 3 };
  export const AuthProtocols: { none: '1'; md5: '2'; sha: '3'; sha224: '4'; sha256: '5'; sha384: '6'; sha512: '7' };
  export const PrivProtocols: { none: '1'; des: '2'; aes: '4'; aes256b: '6'; aes256r: '8' };
  export const AccessControlModelType: { None: 0; Simple: 1 };
  export const AccessLevel: { None: 0; ReadOnly: 1; ReadWrite: 2 };
  export const MaxAccess: {
    'not-accessible': 0;
    'accessible-for-notify': 1;
    'read-only': 2;
    'read-write': 3;
    'read-create': 4;
  };
  export const MibProviderType: { Scalar: 1; Table: 2 };

  /** A value as net-snmp carries it: numbers for integers, Buffers for octet strings, strings for OIDs. */
  export type VarbindValue = number | bigint | string | Buffer | boolean | null;

  export interface Varbind {
    oid: string;
    type: number;
    value: VarbindValue;
  }

  export interface User {
    name: string;
    level: number;
    authProtocol?: string;
    authKey?: string;
    privProtocol?: string;
    privKey?: string;
  }

  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    backoff?: number;
    transport?: 'udp4' | 'udp6';
    trapPort?: number;
    version?: VersionNumber;
    sourceAddress?: string;
    sourcePort?: number;
    engineID?: string | Buffer;
    context?: string;
    backwardsGetNexts?: boolean;
  }

  export type ResponseCallback = (error: Error | null, varbinds?: Varbind[]) => void;

  export interface InformOptions {
    upTime?: number;
  }

  export interface Session extends EventEmitter {
    get(oids: string[], callback: ResponseCallback): void;
    getNext(oids: string[], callback: ResponseCallback): void;
    /** With repeaters, each repeater's varbinds come as one list (the answer's rows for that OID). */
    getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, callback: (error: Error | null, varbinds?: Array<Varbind | Varbind[]>) => void): void;
    set(varbinds: Varbind[], callback: ResponseCallback): void;
    walk(
      oid: string,
      maxRepetitions: number,
      feedCallback: (varbinds: Varbind[]) => boolean | void,
      doneCallback: (error: Error | null) => void,
    ): void;
    inform(typeOrOid: string, varbinds: Varbind[], options: InformOptions, callback: ResponseCallback): void;
    trap(typeOrOid: string, varbinds: Varbind[], options: InformOptions, callback: (error: Error | null) => void): void;
    close(): void;
    /** The UDP socket the session sends from. */
    dgram: Socket;
  }

  export function createSession(target: string, community: string, options: SessionOptions): Session;
  export function createV3Session(target: string, user: User, options: SessionOptions): Session;

  export class RequestFailedError extends Error {
    status: number;
  }
  export class RequestTimedOutError extends Error {}
  export class ResponseInvalidError extends Error {
    code: number;
  }

  export interface SimpleAccessControlModel {
    setCommunityAccess(community: string, accessLevel: number): void;
    setUserAccess(userName: string, accessLevel: number): void;
    isAccessAllowed(securityModel: number, securityName: string, pduType: number): boolean;
  }

  export interface Authorizer {
    addCommunity(community: string): void;
    addUser(user: User): void;
    getAccessControlModel(): SimpleAccessControlModel | null;
  }

  export interface ListenerOptions {
    port?: number;
    address?: string | null;
    transport?: 'udp4' | 'udp6';
    engineID?: string | Buffer;
    disableAuthorization?: boolean;
    accessControlModelType?: number;
    /** A stand-in for node:dgram whose createSocket net-snmp calls for its listening socket. */
    dgramModule?: { createSocket(type: 'udp4' | 'udp6'): Socket };
  }

  export interface ReceiverOptions extends ListenerOptions {
    includeAuthentication?: boolean;
  }

  export interface ReceivedPdu {
    type: number;
    id: number;
    varbinds: Varbind[];
    community?: string;
    user?: string;
  }

  export interface Notification {
    pdu: ReceivedPdu;
    rinfo: RemoteInfo;
  }

  export interface Listener {
    sockets: Record<string, Socket>;
    /** Encodes the message and sends it to rinfo from the socket. */
    send(message: IncomingMessage, rinfo: RemoteInfo, socket: Socket): void;
  }

  export interface Receiver {
    getAuthorizer(): Authorizer;
    close(callback?: () => void): void;
    listener: Listener;
    /** Handles one datagram: acknowledges an inform, then calls back with the notification. */
    onMsg(socket: Socket, buffer: Buffer, rinfo: RemoteInfo): void;
  }

  export function createReceiver(
    options: ReceiverOptions,
    callback: (error: Error | null, notification?: Notification) => void,
  ): Receiver;

  export interface ProviderColumn {
    number: number;
    name: string;
    type: number;
    maxAccess: number;
    constraints?: Constraints;
    defVal?: unknown;
    rowStatus?: boolean;
  }

  export interface Constraints {
    enumeration?: Record<string, string>;
    ranges?: { min: number; max: number }[];
    sizes?: { min: number; max: number }[];
  }

  export interface ScalarProvider {
    name: string;
    type: 1;
    oid: string;
    scalarType: number;
    maxAccess: number;
    constraints?: Constraints;
    defVal?: unknown;
  }

  export interface TableProvider {
    name: string;
    type: 2;
    oid: string;
    tableName?: string;
    maxAccess: number;
    tableColumns: ProviderColumn[];
    tableIndex: { columnName: string }[];
  }

  export type Provider = ScalarProvider | TableProvider;

  /** A node of the Mib's tree; an instance node holds a served value. */
  export interface MibNode {
    value: VarbindValue | undefined;
    valueType: number;
  }

  export interface Mib {
    lookup(oid: string): MibNode | null;
    /** Registered providers by their OID. */
    providersByOid: Record<string, Provider>;
    /** The provider whose OID is a proper prefix of `oid`, the longest one; null when none is. */
    getAncestorProviderFromOid(oid: string): Provider | null;
    /** The scalar or table provider above an instance node (null for a provider's own node). */
    getProviderNodeForInstance(node: MibNode): { provider: Provider & { handler?: unknown } } | null;
    registerProvider(provider: Provider): void;
    setScalarValue(name: string, value: VarbindValue): void;
    addTableRow(table: string, row: VarbindValue[]): void;
    deleteTableRow(table: string, rowIndex: VarbindValue[]): boolean;
    getTableColumnCells(table: string, column: number, includeInstances?: boolean): unknown[];
    getScalarValue(name: string): VarbindValue;
  }

  export function createMib(): Mib;

  /** The request-processing half of the agent that Safeflash overrides for SET. */
  export interface IncomingMessage {
    version: VersionNumber;
    community?: string;
    user?: User;
    pdu: {
      type: number;
      id: number;
      varbinds: Varbind[];
      getResponsePduForRequest(): ResponsePdu;
    };
  }

  export interface ResponsePdu {
    varbinds: Varbind[];
    errorStatus: number;
    errorIndex: number;
  }

  export interface Agent {
    getMib(): Mib;
    getAuthorizer(): Authorizer;
    close(callback?: () => void): void;
    listener: Listener;
    engine: { engineID: Buffer };
    onMsg(socket: Socket, buffer: Buffer, rinfo: RemoteInfo): void;
    setRequest(socket: Socket, message: IncomingMessage, rinfo: RemoteInfo): void;
    /** Answers a request whose varbinds are the instances to read (GETNEXT and GETBULK have resolved them). */
    request(socket: Socket, message: IncomingMessage, rinfo: RemoteInfo): void;
    /** Whether MAX-ACCESS lets a request of this PDU type reach the instance. */
    isAllowed(pduType: number, provider: Provider, node: MibNode): boolean;
    sendResponse(socket: Socket, rinfo: RemoteInfo, message: IncomingMessage, responsePdu: ResponsePdu): void;
  }

  export function createAgent(options: ListenerOptions, callback: (error: Error | null, data?: unknown) => void): Agent;

  export interface ModuleStore {
    loadFromFile(path: string): void;
    getModule(name: string): Record<string, unknown>;
    getProvidersForModule(name: string): Provider[];
  }

  /** `baseModules`: the library's own MIB modules (lib/mibs/) parsed before any file; all of them by default. */
  export function createModuleStore(options?: { baseModules?: string[] }): ModuleStore;

  /** USM key localization (RFC 3414 section 2.6): a pass phrase made into a key for one engine. */
  export const Authentication: {
    /** Bytes the pass phrase is repeated to before its first hash. */
    HMAC_BUFFER_SIZE: number;
    algorithms: Record<string, { CRYPTO_ALGORITHM: string; KEY_LENGTH: number }>;
    /** Localized keys already made, under computeCacheKey's key; net-snmp looks here first. */
    authToKeyCache: Record<string, Buffer>;
    computeCacheKey(authProtocol: string, passPhrase: string, engineID: Buffer): string;
    passwordToKey(authProtocol: string, passPhrase: string, engineID: Buffer): Buffer;
  };

  const snmp: {
    Authentication: typeof Authentication;
    Version1: typeof Version1;
    Version2c: typeof Version2c;
    Version3: typeof Version3;
    ObjectType: typeof ObjectType;
    ErrorStatus: typeof ErrorStatus;
    PduType: typeof PduType;
    SecurityLevel: typeof SecurityLevel;
    AuthProtocols: typeof AuthProtocols;
    PrivProtocols: typeof PrivProtocols;
    AccessControlModelType: typeof AccessControlModelType;
    AccessLevel: typeof AccessLevel;
    MaxAccess: typeof MaxAccess;
    MibProviderType: typeof MibProviderType;
    createSession: typeof createSession;
    createV3Session: typeof createV3Session;
    createReceiver: typeof createReceiver;
    createAgent: typeof createAgent;
    createModuleStore: typeof createModuleStore;
    createMib: typeof createMib;
    RequestFailedError: typeof RequestFailedError;
    RequestTimedOutError: typeof RequestTimedOutError;
    ResponseInvalidError: typeof ResponseInvalidError;
  };
  export default snmp;
}
