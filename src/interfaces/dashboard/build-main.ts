// `npm run build:dashboard`: builds the dashboard bundle and says where it went.
import { buildDashboard } from './bundle.ts';

try {
  const built = await buildDashboard();
  console.log(`dashboard built: ${built.outDir} (${Math.round(built.bytes / 1024)} KiB in ${built.milliseconds} ms)`);
} catch (error) {
  console.error(`dashboard build failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
