/**
 * kubectl's words when the API server did not answer at all (client-go's connection errors, kubectl's own
 * "The connection to the server … was refused"): not a missing object, not a conflict, and nothing was read or changed.
 */
export const UNREACHABLE =
  /Unable to connect to the server|The connection to the server \S+ was refused|connect: connection refused|no such host|i\/o timeout|TLS handshake timeout|network is unreachable/;

/** Whether kubectl's message says that the cluster did not answer. */
export function isUnreachable(message: string): boolean {
  return UNREACHABLE.test(message);
}

/**
 * What to say when the cluster of `context` did not answer: that it did not, what that left undone (`outcome`, e.g.
 * "nothing was checked"), and how to look at the context's server. One wording for every deploy command.
 */
export function unreachableHint(context: string, outcome: string, command: string): string {
  return (
    `The cluster of kube context "${context}" did not answer, so ${outcome}. ` +
    `Check the context's server (\`kubectl config view --minify --context ${context}\`), the network or VPN to it, then run ${command} again.`
  );
}
