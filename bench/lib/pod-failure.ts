// A benchmark that could not bring a pod up has no figures worth keeping:
// it fails (exit 1) and says why, unless it runs as a smoke check (--smoke:
// bench/smoke only checks that benchmarks run), where the failure is printed
// plainly and the run goes on.

/** Takes --smoke out of argv: [smoke, the other flags]. */
export function smokeFlag(argv: string[]): [boolean, string[]] {
  return [argv.includes('--smoke'), argv.filter((a) => a !== '--smoke')];
}

/** What to print (on stderr) and the exit code after `failure` (empty: none). */
export function failureOutcome(name: string, failure: string, smoke: boolean): { exitCode: number; text: string } {
  if (!failure) return { exitCode: 0, text: '' };
  if (smoke) return { exitCode: 0, text: `${name}: FAILED (ignored in --smoke mode): ${failure}` };
  return { exitCode: 1, text: `${name}: FAILED, the figures above are incomplete: ${failure}` };
}
