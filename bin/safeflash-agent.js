#!/usr/bin/env node
// See bin/safeflash.js: same loader, the device agent's entry point.
import { register } from 'tsx/esm/api';
register();
await import('../src/interfaces/cli/safeflash-agent.ts');
