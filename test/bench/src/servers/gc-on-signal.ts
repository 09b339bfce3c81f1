// Loaded with --import into the Node servers of the connections bench,
// which runs them with --expose-gc: on SIGUSR2 (SIGUSR1 starts the
// inspector), a full collection, then a line on stdout to say it is done,
// so that a memory reading counts what is held, not garbage not yet collected.
// The last-resort flavour (V8's collection under memory pressure) also
// shrinks the young generation and hands free pages back, which a plain
// gc() leaves as they happen to be: that was most of the spread between runs.
process.on('SIGUSR2', () => {
  if (globalThis.gc === undefined) throw new Error('gc-on-signal.ts needs node --expose-gc');
  globalThis.gc({ type: 'major', flavor: 'last-resort' });
  process.stdout.write('collected\n');
});
