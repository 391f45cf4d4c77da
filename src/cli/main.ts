#!/usr/bin/env node
// Entry point of the `sprocket` command: builds the commander program and
// turns every failure into one message and one exit code.
import { program } from './program.js';
import { reportAndExit } from './exit.js';

// --debug prints stack traces: map them to the TypeScript sources (the
// bundle's chunks, loaded after this line, carry source maps).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);

// zod compiles a parser (new Function) for each object schema on its first
// parse, which pays off over many parses; a command parses each schema once
// or twice. This is z.config({ jitless: true }) set before zod is loaded
// (zod reads its config from this global when it loads, and object
// schemas read it when they are made, as the command's modules load).
(globalThis as { __zod_globalConfig?: { jitless?: boolean } }).__zod_globalConfig = { jitless: true };

program.parseAsync(process.argv).catch(reportAndExit);
