import { ChildProcess } from 'child_process';

/** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited (at once when it already has). */
export async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Stops every process, one after the other (see stopProcess). */
export async function stopProcesses(procs: readonly (ChildProcess | undefined)[]): Promise<void> {
  for (const p of procs) await stopProcess(p);
}
