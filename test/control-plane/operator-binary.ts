/**
 * A real restate-operator binary run against a test control plane, as the chart's Deployment runs it: started by
 * verify's own lib/verify/operator-binary.ts (no arguments, the Deployment's environment, `KUBECONFIG` the control
 * plane's admin kubeconfig, inside the control plane's network namespace), re-exported here, and in a network
 * namespace of its own beside the podlet's pods (startOperatorInOwnNetwork). Used by scripts/record-operator-objects.ts
 * and the operator-part and podlet live tests.
 */
export {
  logTail,
  type OperatorProcess,
  type OwnNetwork,
  startOperator,
  startOperatorInOwnNetwork,
  wrongBinary,
} from '../../lib/verify/operator-binary';
