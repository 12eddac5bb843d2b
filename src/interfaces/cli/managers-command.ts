// `safeflash managers`: the managers sharing the database, as any one of them sees them: who is up,
// how long each has been silent, who took over whom, and the runs and campaigns each executes now.
import type { Command } from 'commander';
import { formatTable, when } from './table.ts';
import { viewCommand } from './view-command.ts';

interface EndpointJson {
  address: string;
  port: number;
}

interface ManagerJson {
  executorId: string;
  host: string;
  pid: number;
  endpoints: { http?: EndpointJson; notifications: EndpointJson; tftp: EndpointJson; ftp: EndpointJson };
  state: 'up' | 'stopped' | 'dead';
  self: boolean;
  lastHeartbeatAt: string;
  silentSeconds: number;
  takenOverBy: string | null;
  runsHeld: number;
  campaignsHeld: number;
}

const address = (endpoint: EndpointJson | undefined) => (endpoint ? `${endpoint.address}:${endpoint.port}` : '-');

function managersTable(managers: ManagerJson[]): string {
  return formatTable(
    ['MANAGER', 'STATE', 'LAST HEARTBEAT', 'SILENT', 'RUNS', 'CAMPAIGNS', 'API', 'TAKEN OVER BY'],
    managers.map((m) => [
      `${m.executorId}${m.self ? ' *' : ''}`,
      m.state,
      when(m.lastHeartbeatAt),
      `${Math.round(m.silentSeconds)} s`,
      String(m.runsHeld),
      String(m.campaignsHeld),
      address(m.endpoints.http),
      m.takenOverBy ?? '-',
    ]),
  );
}

export function registerManagersCommand(program: Command): void {
  viewCommand<ManagerJson[]>(program, {
    name: 'managers',
    description: 'list the managers sharing the database (* the one answering): state, last heartbeat, runs and campaigns each holds',
    path: () => '/api/managers',
    text: managersTable,
  });
}
