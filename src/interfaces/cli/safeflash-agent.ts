// `safeflash-agent`: a fleet of virtual devices (placeholder, being written).
import { createProgram, runProgram } from './program.ts';

const program = createProgram('safeflash-agent', 'Reference device agent: runs virtual IADs on loopback addresses');
await runProgram(program);
