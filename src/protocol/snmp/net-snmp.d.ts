// Types for the parts of the untyped net-snmp package that Safeflash uses (being written).
declare module 'net-snmp';
