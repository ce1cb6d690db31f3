import { join } from 'node:path';
import type { ModelScenarioRecord } from '../support/model-scenario';
import { runModelScenario } from '../support/model-run';
import { runFromPrivateCheckout } from '../support/private-checkout';

/** The model run from a checkout whose parent folder is 0700 and has a space in its name (verify's pods run as other uids). */
async function fromPrivateCheckout(): Promise<ModelScenarioRecord> {
  const run = await runFromPrivateCheckout(join(__dirname, '..', 'support', 'model-run.ts'), 80_000);
  if (run.code !== 0) throw new Error(`the model run from ${run.checkout} exited ${run.code}:\n${run.stderr}`);
  // The folder was opened for the pods inside the run's mount namespace only, never on disk.
  expect(run.folderModeAfter).toBe(0o700);
  return JSON.parse(run.stdout) as ModelScenarioRecord;
}

// nftables inside a loopback-only network namespace: the rules are the kernel's, the pods are processes with
// their own uids. No Restate server is needed for these checks; verify's live run repeats them on real nodes.
describe.each([
  ['from this checkout', runModelScenario],
  ['from a checkout under a 0700 folder with a space in its path', fromPrivateCheckout],
])('the NetworkPolicy rules and Service restate of the verify model, run %s', (_where, run) => {
  let record: ModelScenarioRecord;

  beforeAll(async () => {
    // GIVEN a cluster that admits namespace shop (label app=web) to its ingress and Prometheus to 5122
    // WHEN its model runs in the sandbox
    record = await run();
  }, 90_000);

  test('the admitted application reaches the ingress only, an unlisted one reaches nothing', () => {
    // THEN the kernel lets through exactly what the operator's policies allow
    expect(record.connections).toEqual({
      'admitted-client -> restate-0:8080': true,
      'admitted-client -> restate-0:9070': false,
      'admitted-client -> restate-0:5122': false,
      'unlisted-client -> restate-0:8080': false,
      'unlisted-client -> restate-0:9070': false,
      'unlisted-client -> restate-0:5122': false,
      'prometheus -> restate-0:8080': false,
      'prometheus -> restate-0:9070': false,
      'prometheus -> restate-0:5122': true,
      'restate-operator -> restate-0:8080': false,
      'restate-operator -> restate-0:9070': true,
      'restate-operator -> restate-0:5122': false,
    });
  });

  test('Service restate routes to Ready pods only: not to one failing /health, not to a stopped one', () => {
    // THEN with all ready every answer comes from some node; then never from restate-1; then only restate-0
    expect(new Set(record.viaService.allReady)).toEqual(new Set(['restate-0', 'restate-1', 'restate-2']));
    expect(new Set(record.viaService.node1Unhealthy)).toEqual(new Set(['restate-0', 'restate-2']));
    expect(new Set(record.viaService.node2Stopped)).toEqual(new Set(['restate-0']));
  });
});
