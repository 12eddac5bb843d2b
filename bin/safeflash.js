#!/usr/bin/env node
// The package ships TypeScript; tsx compiles it on load so `npx safeflash` works right after `npm ci`.
import { register } from 'tsx/esm/api';
register();
await import('../src/interfaces/cli/safeflash.ts');
