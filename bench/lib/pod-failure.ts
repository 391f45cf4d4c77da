// A benchmark that could not bring a pod up has no figures worth keeping:
// it fails (exit 1) and says why. bench/smoke relies on it: a smoke run in
// which no pod comes up must fail, not print a table of nothing.

/** What to print (on stderr) and the exit code after `failure` (empty: none). */
export function failureOutcome(name: string, failure: string): { exitCode: number; text: string } {
  if (!failure) return { exitCode: 0, text: '' };
  return { exitCode: 1, text: `${name}: FAILED, the figures above are incomplete: ${failure}` };
}
