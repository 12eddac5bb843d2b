// The API's front thread starts with every manager: it must load only what it answers (tokens, the
// campaigns' reads, passing requests on), not the modules behind the manager's API (SNMP, device
// families, the inventory, file servers, DBOS), which cost seconds of CPU at each start. Read off
// esbuild's module graph of the thread, which drops type-only imports as tsx does when it loads it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');

test("the API front's thread loads neither SNMP, the device families, the inventory nor the durable runs", async () => {
  const built = await build({
    absWorkingDir: root,
    entryPoints: ['src/interfaces/http/front/front-thread.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.values(built.metafile.inputs);
  const files = Object.keys(built.metafile.inputs);
  const packages = new Set(inputs.flatMap((input) => input.imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path)));

  assert.ok(files.includes('src/manager/campaigns/campaign-reads.ts'), 'the front reads campaigns itself');
  assert.deepEqual([...packages].sort(), ['fastify', 'pg', 'pino']);
  const behindTheManager = files.filter((file) =>
    /^src\/(protocol\/(snmp|tftp|ftp)\/|families\/[^/]+\/|manager\/(inventory|files|procedure\/phases)\/|manager\/procedure\/procedure\.ts)/.test(file),
  );
  assert.deepEqual(behindTheManager, []);
});
