// Our notification receiver in a process of its own, as the manager runs it: net-snmp's receiver behind
// NotificationReceiver, every notification decoded by the device families. The bench (its parent) asks
// over IPC how many it has taken in.
import { readNotification } from '../../src/manager/notifications.ts';
import { NotificationReceiver } from '../../src/protocol/snmp/receiver.ts';

const port = Number(process.argv[2] ?? 0);
const receiver = await NotificationReceiver.start({ address: '127.0.0.1', port, communities: ['public'] });
let received = 0;
let decoded = 0;
receiver.on('notification', (notification) => {
  received += 1;
  if (readNotification(notification)) decoded += 1;
});
receiver.on('rejected', () => {});

process.on('message', (message: { ask: 'count' | 'stop' }) => {
  if (message.ask === 'count') process.send?.({ received, decoded });
  else void receiver.close().then(() => process.exit(0));
});
process.send?.({ port: receiver.endpoint.port });
