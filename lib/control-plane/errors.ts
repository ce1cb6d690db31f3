/** A control plane that cannot be built or started: the message is one line, meant to be shown as it is. */
export class ControlPlaneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

/** Where to get Go, in every message about it. */
export const GET_GO = 'install Go 1.26 or newer from https://go.dev/dl/ (or your package manager) and put `go` on PATH';
