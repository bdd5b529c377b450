/** Where a command writes; tests capture it, the binary maps it to stdout/stderr. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** True when stdout is an interactive terminal (progress lines allowed). */
  isTty: boolean;
}

export const processIo: CliIo = {
  out: (l) => { process.stdout.write(l.endsWith('\n') ? l : l + '\n'); },
  err: (l) => { process.stderr.write(l.endsWith('\n') ? l : l + '\n'); },
  isTty: Boolean(process.stdout.isTTY),
};
