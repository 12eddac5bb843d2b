import type { Command } from 'commander';

// Placeholder, being written.
export function registerDemoCommand(_program: Command): void {}
