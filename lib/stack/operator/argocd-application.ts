import { Construct } from 'constructs';
import { Application } from '../../../imports/argoproj.io';
import { Wave } from '../argocd-annotations';
import { argocdMetadata, automatedSync } from '../argocd-parts';
import { type OperatorChartValues, nonEmptyValues } from './chart-values';
import { parseOciChartRef } from './chart-ref';

export interface OperatorArgoApplicationProps {
  /** `oci://` reference of the chart. */
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Namespace the chart is installed into (the Application's destination). */
  readonly namespace: string;
  /** Helm release name; also the Application's name. */
  readonly releaseName: string;
  /** Chart values; empty means the chart's defaults. */
  readonly chartValues: OperatorChartValues;
  /** Namespace of the Argo CD installation (where Applications live). */
  readonly argocdNamespace: string;
  /** Labels Argo CD puts on the namespace it creates (`managedNamespaceMetadata`): its PodSecurity level. */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Argo CD project of the Application. */
  readonly project: string;
  /**
   * API server of the cluster the chart is installed into.
   * @default IN_CLUSTER - the cluster Argo CD runs in
   */
  readonly destinationServer?: string;
  /** Leave out the chart's `crds/` folder: the CRDs come from their own Application. @default false */
  readonly skipCrds?: boolean;
}

/** The cluster the Argo CD installation runs in. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/**
 * An Argo CD Application that installs the operator chart from its OCI registry; Argo CD runs
 * `helm template` (CRDs included) in the cluster, so nothing is fetched at synth time. Typed by the class
 * `cdk8s import` generated from Argo CD's CRD (imports/argoproj.io.ts), so a misspelt field fails to compile.
 */
export class OperatorArgoApplication extends Construct {
  public readonly apiObject: Application;

  constructor(scope: Construct, id: string, props: OperatorArgoApplicationProps) {
    super(scope, id);
    const destinationServer = props.destinationServer ?? IN_CLUSTER;
    const chart = parseOciChartRef(props.chart);
    const valuesObject = nonEmptyValues(props.chartValues);

    this.apiObject = new Application(this, 'Resource', {
      metadata: argocdMetadata(props.releaseName, props.argocdNamespace, Wave.OPERATOR),
      spec: {
        project: props.project,
        // The Helm-OCI source form: repoURL is the registry path WITHOUT `oci://`, plus `chart`. The repo server
        // treats a scheme-less repoURL as an OCI Helm registry by itself (`helm.IsHelmOciRepo`), so a public chart
        // needs no repository Secret. It works on Argo CD 2.x and 3.x alike; the native `oci://` source (with
        // `path: .`) would need 3.1 or later. https://argo-cd.readthedocs.io/en/stable/user-guide/helm/ and
        // https://github.com/argoproj/argo-cd/pull/22859 (docs: a repository Secret is not required for OCI charts)
        source: {
          repoUrl: chart.repository,
          chart: chart.name,
          targetRevision: props.version,
          helm: {
            releaseName: props.releaseName,
            ...(valuesObject ? { valuesObject } : {}),
            ...(props.skipCrds ? { skipCrds: true } : {}),
          },
        },
        destination: { server: destinationServer, namespace: props.namespace },
        // Sync on its own so the RestateCluster (wave 0) finds the CRDs and the operator without a manual sync.
        // No pruning: a CRD dropped from the chart must not take every RestateCluster (and its data) with it.
        // CreateNamespace: the chart does not template its namespace. ServerSideApply: no last-applied annotation
        // (capped at 256 KiB) for the CRDs (the 1.7.4 RestateCluster CRD is ~73 KB as JSON, the 2.8.1 one ~236 KB).
        // managedNamespaceMetadata: the labels on the namespace CreateNamespace makes (and kept there by every sync).
        // https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#namespace-auto-creation
        syncPolicy: {
          ...automatedSync({ prune: false, syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'] }),
          managedNamespaceMetadata: { labels: { ...props.namespaceLabels } },
        },
      },
    });
  }
}
