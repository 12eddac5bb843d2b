// Node prints process warnings on stderr. One comes from inside pg-pool (it queues a query on a client
// that is still busy, which pg 8.2x deprecates) and says nothing an operator can act on; every other
// warning is printed as Node would.
const silenced = ['Calling client.query() when the client is already executing a query'];

export function quietDependencyWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (silenced.some((text) => warning.message.startsWith(text))) return;
    process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
  });
}
