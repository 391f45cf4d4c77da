#!/usr/bin/env node
// Entry point of the `sprocket` command: builds the commander program and
// turns every failure into one message and one exit code.
import { program } from './program.js';
import { reportAndExit } from './exit.js';

program.parseAsync(process.argv).catch(reportAndExit);
