import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';

/** What the numbers were measured on; printed with them. */
export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** 1-minute load average when the benchmark started: other work on the machine skews every figure. */
  readonly loadAtStart: number;
}

export function describeMachine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAtStart: Math.round(loadavg()[0] * 100) / 100,
  };
}
