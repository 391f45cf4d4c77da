#!/usr/bin/env node
// Entry point of the `sprocket` command: builds the commander program and
// turns every failure into one message and one exit code.
import './zod-jitless.js';
import { program } from './program.js';
import { runCli } from './exit.js';

// --debug prints stack traces: map them to the TypeScript sources (the
// bundle's chunks, loaded after this line, carry source maps).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);

runCli(program);
