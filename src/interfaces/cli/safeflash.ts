// `safeflash`: the manager and the operator's tools.
import { createProgram, runProgram } from './program.ts';
import { registerTftpCommands } from './tftp-commands.ts';
import { registerImageCommands } from './image-commands.ts';
import { registerDemoCommand } from './demo-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerDeviceCommands } from './device-commands.ts';
import { registerUpgradeCommand } from './upgrade-command.ts';
import { registerRunsCommands } from './runs-commands.ts';
import { registerDecideCommand } from './decide-command.ts';
import { registerActivateCommand } from './activate-command.ts';
import { registerBackupCommands } from './backup-commands.ts';
import { registerCampaignCommands } from './campaign-commands.ts';
import { registerTokenCommands } from './token-commands.ts';
import { registerMibCommands } from './mib-commands.ts';
import { registerManagersCommand } from './managers-command.ts';
import { registerAuditCommands } from './audit-commands.ts';
import { addAccessOptions } from './api-client.ts';

const program = createProgram('safeflash', 'Safe software upgrades for fleets of SNMP-managed network equipment');
registerDemoCommand(program);
registerServeCommand(program);
registerDeviceCommands(program);
registerUpgradeCommand(program);
registerRunsCommands(program);
registerDecideCommand(program);
registerActivateCommand(program);
registerBackupCommands(program);
registerCampaignCommands(program);
registerImageCommands(program);
registerTftpCommands(program);
registerTokenCommands(program);
registerMibCommands(program);
registerManagersCommand(program);
registerAuditCommands(program);
// Last: gives every command registered above that talks to the manager its --token and --data-dir.
addAccessOptions(program);

await runProgram(program);
