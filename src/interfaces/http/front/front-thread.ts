// The API's front thread (front-app.ts says what it does): loaded by api-front.ts while the manager
// starts, it waits for its FrontSetup, opens its own database connections, listens, and reports to
// the manager's thread (messages.ts). Its log lines go to the manager's logger, so that they land
// where the manager's own do.
import { parentPort } from 'node:worker_threads';
import pino from 'pino';
import { CampaignReads } from '../../../manager/campaigns/campaign-reads.ts';
import { CampaignStore } from '../../../manager/store/campaigns.ts';
import { ReconnectingPool } from '../../../manager/store/reconnecting-pool.ts';
import { TokenStore, tokenTrustMs } from '../../../manager/store/tokens.ts';
import { buildApiFront } from './front-app.ts';
import { Forwarder } from './forward.ts';
import type { FrontMessage, FrontSetup, ManagerMessage } from './messages.ts';

const port = parentPort!;
const send = (message: FrontMessage) => port.postMessage(message);
const setup = await new Promise<FrontSetup>((resolve) =>
  port.once('message', (message: ManagerMessage) => {
    if (message.kind === 'start') resolve(message.setup);
  }),
);

// Two connections, kept open: the front reads a token (then trusts it a few seconds, tokens.ts) and a
// page at a time, and a connection opened for a request would make it wait for a new PostgreSQL backend.
const pool = new ReconnectingPool({ connectionString: setup.databaseUrl, max: 2, idleTimeoutMillis: 0, application_name: 'safeflash-api-front' });
pool.on('error', () => {
  // An idle client lost its connection; the next query opens a new one.
});
const campaigns = new CampaignReads(new CampaignStore(pool));
const manager = new Forwarder(setup.managerSocket);
const logger = pino({ level: setup.logLevel }, { write: (line: string) => send({ kind: 'log', line }) });
const front = buildApiFront(
  {
    tokens: new TokenStore(pool, tokenTrustMs, 'inBackground'),
    campaigns,
    manager,
    answered: (method, route, status) => send({ kind: 'answered', method, route, status }),
  },
  logger,
  { ...(setup.https ? { https: setup.https } : {}), ...(setup.failedTokens ? { failedTokens: setup.failedTokens } : {}) },
);

port.on('message', (message: ManagerMessage) => {
  if (message.kind !== 'stop') return;
  void front
    .close()
    .then(async () => {
      manager.close();
      await pool.end();
    })
    .finally(() => send({ kind: 'stopped' }));
});

try {
  // Both connections opened, and the page's tables read once, before the first operator asks.
  await Promise.allSettled([campaigns.list(1), campaigns.detail('')]);
  await front.listen({ host: setup.listen.address, port: setup.listen.port });
  const bound = front.server.address();
  send({ kind: 'listening', port: typeof bound === 'object' && bound ? bound.port : setup.listen.port });
} catch (error) {
  send({ kind: 'failed', message: (error as Error).message });
  await pool.end();
}
