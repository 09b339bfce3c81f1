#!/usr/bin/env node
// Plain JavaScript that exists before any build, so that npm links the
// command at install time; the command itself is compiled into dist/.

// The App is TypeScript run as it is: Node strips its types from 22.18 on.
// Checked here, before anything else loads, so the answer is one line.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `gatehouse needs Node.js 22.18 or later, which runs TypeScript as it is; this is Node.js ${process.versions.node}. ` +
      'Install a newer Node, or run this one with Node 24: npx -p node@24 gatehouse …',
  );
  process.exit(1);
}
await import('../dist/bin.js');
