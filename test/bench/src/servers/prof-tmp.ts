process.on('SIGINT', () => process.exit(0));
process.argv[2] = '41500';
await import('./gatehouse.ts');
