import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Aborting kills the process (SIGKILL: ffmpeg may ignore SIGTERM while flushing). */
  signal?: AbortSignal;
  /** Called with each complete line of stdout. */
  onStdoutLine?: (line: string) => void;
  /** Keep at most this much of stderr for error messages. */
  stderrLimit?: number;
  cwd?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

const running = new Set<number>();

/** Process ids of the children running now (for readiness, shutdown and tests). */
export function runningProcessIds(): number[] {
  return [...running];
}

/** A child process failed (non-zero exit or could not start). */
export class ProcessError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

/** The run was aborted (job cancelled, lease lost, shutdown). */
export class AbortedError extends Error {
  constructor(reason?: string) {
    super(reason ?? 'Aborted');
    this.name = 'AbortedError';
  }
}

/** Throws AbortedError when the signal already fired. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortedError(String(signal.reason ?? 'Aborted'));
}

/**
 * Runs a program with an argument array (never a shell: input text can contain anything) and
 * resolves with its output, or rejects with ProcessError / AbortedError.
 */
export function runProcess(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  throwIfAborted(opts.signal);
  const limit = opts.stderrLimit ?? 16_384;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    if (child.pid) running.add(child.pid);
    let stdout = '';
    let pending = '';
    let stderr = '';
    let settled = false;
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (opts.onStdoutLine) {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          opts.onStdoutLine(pending.slice(0, nl).trim());
          pending = pending.slice(nl + 1);
        }
      } else if (stdout.length < 8 * 1024 * 1024) {
        stdout += chunk;
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-limit);
    });
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      if (child.pid) running.delete(child.pid);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ stdout, stderr });
    };
    child.on('error', (err) => finish(new ProcessError(command, null, stderr, `${command} could not start: ${err.message}`)));
    child.on('close', (code, sig) => {
      if (opts.signal?.aborted) return finish(new AbortedError(String(opts.signal.reason ?? 'Aborted')));
      if (code === 0) return finish(null);
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      finish(new ProcessError(command, code, stderr, `${command} exited with ${code ?? sig}: ${tail}`));
    });
  });
}
