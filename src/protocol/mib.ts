// SAFEFLASH-MIB, read from mib/SAFEFLASH-MIB.txt at start: every OID and enumeration number in the code
// comes from that one file. Names of objects and enumeration labels appear in code; numbers never do.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import snmp from 'net-snmp';
import type { Provider } from 'net-snmp';

const mibDirectory = fileURLToPath(new URL('../../mib/', import.meta.url));

/** Where the MIB and the IETF modules it imports live, for Net-SNMP's tools and smilint. */
export const mibPaths = {
  module: `${mibDirectory}SAFEFLASH-MIB.txt`,
  directories: [mibDirectory, `${mibDirectory}ietf/`],
} as const;

export const moduleName = 'SAFEFLASH-MIB';

/**
 * The directories Net-SNMP's tools need (their -M option, or MIBDIRS) to load SAFEFLASH-MIB: ours, and the
 * SMIv2 base modules it imports (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF), which Debian's snmp package does not
 * ship; net-snmp, the library, carries them.
 */
export function toolMibDirectories(): string[] {
  const library = dirname(createRequire(import.meta.url).resolve('net-snmp'));
  return [...mibPaths.directories, join(library, 'lib', 'mibs')];
}

interface MibDefinition {
  ObjectName: string;
  MACRO?: string;
  OID?: string;
  SYNTAX?: string | { INTEGER?: Record<string, string> } | Record<string, unknown>;
  OBJECTS?: string[];
  'MAX-ACCESS'?: string;
}

/** An INTEGER enumeration: label to number and back. */
export class Enumeration<Label extends string = string> {
  readonly #byLabel = new Map<Label, number>();
  readonly #byNumber = new Map<number, Label>();

  constructor(
    readonly name: string,
    values: Record<string, string>,
  ) {
    for (const [number, label] of Object.entries(values)) {
      this.#byLabel.set(label as Label, Number(number));
      this.#byNumber.set(Number(number), label as Label);
    }
  }

  get labels(): Label[] {
    return [...this.#byLabel.keys()];
  }

  /** The number of a label; throws on a label the MIB does not have (a bug, not bad input). */
  number(label: Label): number {
    const n = this.#byLabel.get(label);
    if (n === undefined) throw new Error(`${this.name} has no value ${label}`);
    return n;
  }

  /** The label of a number, or undefined for a number the MIB does not define (bad input). */
  label(n: number): Label | undefined {
    return this.#byNumber.get(n);
  }
}

interface LoadedModule {
  definitions: Record<string, MibDefinition>;
  providers: Provider[];
}

/**
 * The SMIv2 modules SAFEFLASH-MIB and INET-ADDRESS-MIB import from, all net-snmp needs to parse them:
 * its default set adds the SMIv1 modules and MIB-II, which cost every process that reads the MIB about
 * two thirds of its parse time (about 120 ms), for definitions nothing here asks for.
 */
const importedBaseModules = ['SNMPv2-SMI', 'SNMPv2-TC', 'SNMPv2-CONF'];

function load(): LoadedModule {
  const store = snmp.createModuleStore({ baseModules: importedBaseModules });
  store.loadFromFile(`${mibDirectory}ietf/INET-ADDRESS-MIB.txt`);
  store.loadFromFile(mibPaths.module);
  return {
    definitions: store.getModule(moduleName) as Record<string, MibDefinition>,
    providers: store.getProvidersForModule(moduleName),
  };
}

const { definitions, providers: moduleProviders } = load();

function definition(name: string): MibDefinition {
  const d = definitions[name];
  if (!d) throw new Error(`${moduleName} has no ${name}`);
  return d;
}

/** The OID of a named object, notification or node, as a dotted string without a leading dot. */
export function oid(name: string): string {
  const o = definition(name).OID;
  if (!o) throw new Error(`${moduleName}::${name} has no OID`);
  return o;
}

/** The objects a notification carries, in order. */
export function notificationObjects(name: string): string[] {
  return definition(name).OBJECTS ?? [];
}

/**
 * The enumeration of an object's INTEGER syntax. It follows a textual convention of this module
 * (SfBank, SfFailCause) and, through net-snmp's providers, one imported from another module
 * (TruthValue, RowStatus, InetAddressType).
 */
export function enumeration<Label extends string = string>(name: string): Enumeration<Label> {
  let syntax = definition(name).SYNTAX;
  if (typeof syntax === 'string' && definitions[syntax]) syntax = definition(syntax).SYNTAX;
  const values = typeof syntax === 'object' && syntax !== null ? (syntax as { INTEGER?: Record<string, string> }).INTEGER : importedEnumerationValues(name);
  if (!values) throw new Error(`${moduleName}::${name} is not an enumeration`);
  return new Enumeration<Label>(name, values);
}

function importedEnumerationValues(name: string): Record<string, string> | undefined {
  for (const p of moduleProviders) {
    if (p.type === snmp.MibProviderType.Scalar && p.name === name) return p.constraints?.enumeration;
    if (p.type === snmp.MibProviderType.Table) {
      const column = p.tableColumns.find((c) => c.name === name);
      if (column) return column.constraints?.enumeration;
    }
  }
  return undefined;
}

/** net-snmp's providers for the module (scalars and tables), for an agent to register. */
export function providers(): Provider[] {
  return moduleProviders;
}
