// `safeflash`: the manager and the operator's tools.
import { createProgram, runProgram } from './program.ts';
import { registerTftpCommands } from './tftp-commands.ts';
import { registerImageCommands } from './image-commands.ts';
import { registerDemoCommand } from './demo-command.ts';

const program = createProgram('safeflash', 'Safe software upgrades for fleets of SNMP-managed network equipment');
registerDemoCommand(program);
registerImageCommands(program);
registerTftpCommands(program);

await runProgram(program);
