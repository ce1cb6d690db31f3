/**
 * prod/aws on a real control plane: applies as the docs say, re-applies as a no-op, and takes every change the docs
 * describe through deploy:promote and its GitOps tool (./target-suite.ts).
 */
import { startControlPlane } from '../../lib/control-plane/harness';
import { describeTarget } from './target-suite';

describeTarget('prod', 'aws', startControlPlane);
