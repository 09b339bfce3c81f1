import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RunningApp, Runtime } from '../src/runtime.ts';
import { childrenOf, peakResident, stopProcess } from './_process.ts';

const CLI = createRequire(import.meta.url).resolve('@gatehouse/cli/package.json').replace(/package\.json$/, 'src/bin.ts');

/**
 * The conformance App under `gatehouse start`: a worker process behind the
 * container's primary, as a user runs it in production. One worker, because
 * the App keeps what it saw (aborts, waitUntil work) in its own memory for
 * the suite to ask about; several workers are the container tests' subject.
 */
export const nodeContainerRuntime: Runtime = {
  name: 'gatehouse start',
  runtimeName: 'node',
  async start(): Promise<RunningApp> {
    const app = fileURLToPath(new URL('./container-app.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      // Above the suite's largest upload (400 MiB, for the memory check).
      ['--conditions=@gatehouse/source', CLI, 'start', app, '--workers', '1', '--port', '0', '--max-body-size', String(512 * 1024 * 1024)],
      { stdio: ['ignore', 'inherit', 'pipe'] },
    );
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`gatehouse start exited with ${code} before it listened:\n${log}`)));
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        log += chunk;
        const match = / on (http:\/\/\S+) with /.exec(log);
        if (match !== null) resolve(match[1]!);
      });
    });
    // The App fails on purpose in places: keep the container's log, unprinted.
    child.stderr!.resume();
    return {
      url,
      stop: () => stopProcess(child),
      // The workers serve: the most any of them has held resident.
      peakMemory: async () => peakResident(await childrenOf(child.pid)),
    };
  },
};
