import type { Command } from 'commander';

// Placeholder, being written.
export function registerTftpCommands(_program: Command): void {}
