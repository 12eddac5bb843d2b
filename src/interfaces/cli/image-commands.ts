import type { Command } from 'commander';

// Placeholder, being written.
export function registerImageCommands(_program: Command): void {}
