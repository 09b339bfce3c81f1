import { startContainer } from '@gatehouse/node/container';

const [port, workers] = process.argv.slice(2).map(Number);
const container = await startContainer({
  app: new URL('./bench-app-module.ts', import.meta.url),
  port: port!,
  workers: workers!,
  log: () => {},
});
process.once('SIGTERM', () => void container.close().then(() => process.exit(0)));
console.log('ready');
