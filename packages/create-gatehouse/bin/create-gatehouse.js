#!/usr/bin/env node
// Plain JavaScript that exists before any build, so that npm links the
// command at install time; the command itself is compiled into dist/.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`create-gatehouse needs Node.js 22.18 or later (the projects it makes run TypeScript as it is); this is Node.js ${process.versions.node}.`);
  process.exit(1);
}
await import('../dist/bin.js');
