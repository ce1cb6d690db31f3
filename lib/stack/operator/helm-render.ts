import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, Include } from 'cdk8s';
import { Construct } from 'constructs';
import { SYNC_OPTIONS, SYNC_WAVE, Wave } from '../argocd-annotations';
import { type OperatorChartValues, nonEmptyValues } from './chart-values';
import { HelmRenderError } from './errors';
import { HelmNotFound, helmTemplate } from './helm-template';
import { placeInNamespace } from './place-in-namespace';
import { withPrivateTmpdir } from './private-tmpdir';
import { CRDS_VERSION_ANNOTATION, OPERATOR_VERSION_ANNOTATION } from '../../target-folder/operator-names';

export interface OperatorHelmRenderProps {
  /** `oci://` reference of the chart. */
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Namespace of the operator; created here, and set on namespaced objects the chart leaves without one. */
  readonly namespace: string;
  /** Helm release name (`.Release.Name`). */
  readonly releaseName: string;
  /** Chart values; empty means the chart's defaults. */
  readonly chartValues: OperatorChartValues;
  /** Labels of the operator's Namespace (its PodSecurity level). */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** The program run as `helm template`. */
  readonly helmExecutable: string;
  /** The version of the CRDs chart rendered beside this one, recorded on the Namespace. @default - none */
  readonly crdsVersion?: string;
  /** Render the chart's `crds/` folder (`--include-crds`). @default true */
  readonly includeCrds?: boolean;
  /** How long helm may take. @default HELM_TIMEOUT_SECONDS (120) */
  readonly timeoutSeconds?: number;
}

/**
 * The operator chart rendered at synth time (`helm template --include-crds`, bounded in time, its output checked
 * to be Kubernetes objects without plain-text Secrets), plus the operator's Namespace (with its PodSecurity labels),
 * which the chart does not template.
 */
export class OperatorHelmRender extends Construct {
  /** Every object emitted: the Namespace first, then the chart's objects in helm's order (CRDs first). */
  public readonly apiObjects: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: OperatorHelmRenderProps) {
    super(scope, id);

    const namespace = new ApiObject(this, 'Namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      // The annotations record what this target renders, for synth's upgrade guard (lib/target-folder/operator-release.ts).
      metadata: {
        name: props.namespace,
        labels: { ...props.namespaceLabels },
        annotations: {
          [OPERATOR_VERSION_ANNOTATION]: props.version,
          ...(props.crdsVersion ? { [CRDS_VERSION_ANNOTATION]: props.crdsVersion } : {}),
        },
      },
    });
    const chart = renderChart(this, props);
    this.apiObjects = [namespace, ...chart.apiObjects];

    for (const object of this.apiObjects) {
      placeInNamespace(object, props.namespace);
      object.metadata.addAnnotation(SYNC_WAVE, Wave.OPERATOR);
      if (object.kind === 'CustomResourceDefinition') {
        // Deleting a CRD deletes every RestateCluster, and with it the cluster's namespace and volumes: never let
        // Argo CD prune or delete one. Server-side apply keeps the CRD out of the last-applied annotation, which
        // is capped at 256 KiB (the 1.7.4 RestateCluster CRD is ~73 KB as JSON, the 2.8.1 one ~236 KB).
        object.metadata.addAnnotation(SYNC_OPTIONS, 'Prune=false,Delete=false,ServerSideApply=true');
      }
    }
  }
}

function renderChart(scope: Construct, props: OperatorHelmRenderProps): Include {
  try {
    return withPrivateTmpdir('restate-operator-helm-', () => {
      const workdir = tmpdir();
      const rendered = join(workdir, 'chart.yaml');
      writeFileSync(
        rendered,
        helmTemplate({
          helmExecutable: props.helmExecutable,
          chart: props.chart,
          version: props.version,
          namespace: props.namespace,
          releaseName: props.releaseName,
          values: nonEmptyValues(props.chartValues),
          // The CRDs sit in the chart's crds/ folder, which `helm template` skips by default; the 1.7.4 operator
          // exits at start-up when they are missing.
          flags: props.includeCrds === false ? [] : ['--include-crds'],
          workdir,
          timeoutSeconds: props.timeoutSeconds,
        }),
      );
      return new Include(scope, 'Chart', { url: rendered });
    });
  } catch (error) {
    if (error instanceof HelmNotFound) {
      throw new HelmRenderError(
        `operator.delivery: helm renders the operator chart at synth time and needs the helm CLI, but ` +
          `'${props.helmExecutable}' could not be executed (not installed or not on PATH). Install helm 3.8 or later, ` +
          `or choose a delivery that synthesizes offline and lets the cluster fetch the chart: ` +
          `operator.delivery: argocd or operator.delivery: flux.`,
      );
    }
    throw error;
  }
}
