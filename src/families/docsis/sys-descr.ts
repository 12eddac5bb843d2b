// The sysDescr a DOCSIS modem gives: free text, then `<<HW_REV: ...; VENDOR: ...; BOOTR: ...; SW_REV:
// ...; MODEL: ...>>`. The format is the DOCSIS OSSI specification's; fields as seen on modems in the
// field (some leave BOOTR out), so it is read tolerantly.

export interface ModemDescription {
  hardware: string;
  vendor: string;
  bootRom: string;
  software: string;
  model: string;
}

export function formatSysDescr(text: string, d: ModemDescription): string {
  return `${text} <<HW_REV: ${d.hardware}; VENDOR: ${d.vendor}; BOOTR: ${d.bootRom}; SW_REV: ${d.software}; MODEL: ${d.model}>>`;
}

/** The fields between << and >>, or undefined when the text has none (not a DOCSIS modem's sysDescr). */
export function parseSysDescr(sysDescr: string): Partial<ModemDescription> | undefined {
  const inside = /<<(.*)>>/s.exec(sysDescr)?.[1];
  if (inside === undefined) return undefined;
  const fields = new Map<string, string>();
  for (const part of inside.split(';')) {
    const colon = part.indexOf(':');
    if (colon > 0) fields.set(part.slice(0, colon).trim().toUpperCase(), part.slice(colon + 1).trim());
  }
  if (!fields.has('MODEL') && !fields.has('SW_REV')) return undefined;
  const field = (key: string) => fields.get(key);
  return {
    ...(field('HW_REV') !== undefined ? { hardware: field('HW_REV')! } : {}),
    ...(field('VENDOR') !== undefined ? { vendor: field('VENDOR')! } : {}),
    ...(field('BOOTR') !== undefined ? { bootRom: field('BOOTR')! } : {}),
    ...(field('SW_REV') !== undefined ? { software: field('SW_REV')! } : {}),
    ...(field('MODEL') !== undefined ? { model: field('MODEL')! } : {}),
  };
}
