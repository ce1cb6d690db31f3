/**
 * The name of the drain Job that the first commit of a scale-in adds while `scaleIn` is set, and that synth's
 * replicas-decrease rule looks for in the committed target before it lets `replicas` go down: the contract
 * between the drain step and the guard.
 */
export function drainJobName(clusterName: string, from: number, to: number): string {
  return `${clusterName}-drain-${from}-to-${to}`;
}
