// The dashboard's browser bundle: Preact pages compiled and bundled by esbuild into dist/dashboard/.
// Nothing generated is committed; `npm run build:dashboard` builds it (before the tests), and the
// manager builds it on first request when it is missing or older than its sources.
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const dashboardSource = dirname(fileURLToPath(import.meta.url));
export const dashboardOutput = resolve(dashboardSource, '../../../dist/dashboard');
export const bundleFiles = { script: 'app.js', styles: 'app.css' } as const;

/** Newest modification time under a directory (0 when it does not exist). */
function newestMtime(dir: string): number {
  let newest = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Whether the bundle exists and is at least as new as every source file. */
export function bundleIsCurrent(): boolean {
  const built = Math.min(mtime(join(dashboardOutput, bundleFiles.script)), mtime(join(dashboardOutput, bundleFiles.styles)));
  return built > 0 && built >= newestMtime(dashboardSource);
}

export interface BuildResult {
  outDir: string;
  bytes: number;
  milliseconds: number;
}

export async function buildDashboard(): Promise<BuildResult> {
  const started = performance.now();
  // Loaded here, not at the top: the manager needs esbuild only when it has to build.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(dashboardSource, 'app.tsx')],
    outdir: dashboardOutput,
    entryNames: 'app',
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { outDir: dashboardOutput, bytes, milliseconds: Math.round(performance.now() - started) };
}

let building: Promise<BuildResult | undefined> | undefined;

/** Builds the bundle if it is missing or stale, once per process however many requests ask at once. */
export function ensureDashboard(): Promise<BuildResult | undefined> {
  if (bundleIsCurrent()) return Promise.resolve(undefined);
  building ??= buildDashboard().finally(() => {
    building = undefined;
  });
  return building;
}
