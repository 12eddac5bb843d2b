// A process that starts the embedded PostgreSQL on a directory and holds it until killed.
import { startEmbeddedPostgres } from '../../src/manager/database/embedded-postgres.ts';

const directory = process.argv[2];
if (!directory) throw new Error('usage: hold-embedded-postgres.ts DIRECTORY');
await startEmbeddedPostgres({ directory });
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
