// The live dashboard: one HTML page for each of its addresses (the browser's router picks the view)
// and the bundle it loads. The bundle is built on the first request when missing or stale, so
// `safeflash serve` works straight from a checkout. Public: the page holds no data; the API it calls
// asks for a token.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { bundleFiles, dashboardOutput, dashboardSource, ensureDashboard } from '../../dashboard/bundle.ts';

/** The page's own addresses, as its router knows them. */
export const dashboardPages = ['/', '/campaigns', '/campaigns/:campaign', '/runs/:run', '/devices'] as const;

const assets: Record<string, { file: string; type: string }> = {
  [bundleFiles.script]: { file: bundleFiles.script, type: 'text/javascript; charset=utf-8' },
  [bundleFiles.styles]: { file: bundleFiles.styles, type: 'text/css; charset=utf-8' },
};

export function registerDashboardRoutes(app: FastifyInstance): void {
  const ready = async (reply: FastifyReply): Promise<boolean> => {
    try {
      const built = await ensureDashboard();
      if (built) app.log.info({ outDir: built.outDir, bytes: built.bytes, ms: built.milliseconds }, 'dashboard bundle was missing or stale: built it');
      return true;
    } catch (error) {
      app.log.error({ err: error }, 'dashboard bundle cannot be built');
      void reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(`The dashboard is not built and cannot be built here (${(error as Error).message}). Run: npm run build:dashboard\n`);
      return false;
    }
  };

  const page = async (_request: unknown, reply: FastifyReply) => {
    if (!(await ready(reply))) return reply;
    const html = await readFile(join(dashboardSource, 'index.html'));
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  };
  for (const url of dashboardPages) app.get(url, page);

  app.get<{ Params: { asset: string } }>('/dashboard/:asset', async (request, reply) => {
    const asset = assets[request.params.asset];
    if (!asset) return reply.status(404).send({ error: `no dashboard asset ${request.params.asset}` });
    if (!(await ready(reply))) return reply;
    const body = await readFile(join(dashboardOutput, asset.file));
    return reply.type(asset.type).header('cache-control', 'no-cache').send(body);
  });
}
