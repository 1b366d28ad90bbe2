/**
 * What pulumi-copass says when node:util `parseArgs` refuses a command line: its first sentence,
 * which names the flag ("Unknown option '--x'"); its advice about `--` is noise here. Each command
 * wraps it in its own usage error, with its own --help hint.
 */
export function flagProblem(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split(/\. To specify|\n/)[0]!;
}
