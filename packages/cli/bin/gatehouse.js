#!/usr/bin/env node
// Plain JavaScript that exists before any build, so that npm links the
// command at install time; the command itself is compiled into dist/.
import '../dist/bin.js';
