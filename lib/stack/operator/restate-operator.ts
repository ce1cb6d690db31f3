import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { valid as validSemver } from 'semver';
import { DEFAULT_POD_SECURITY_LEVEL, type Delivery, type PodSecurityLevel } from '../../values';
import { OperatorArgoApplication } from './argocd-application';
import { OperatorCrdsArgoApplication } from './crds-argocd-application';
import { OperatorCrdsFluxRelease } from './crds-flux-release';
import { OperatorCrdsHelmRender } from './crds-helm-render';
import type { OperatorChartValues } from './chart-values';
import { parseOciChartRef } from './chart-ref';
import { OperatorFluxRelease } from './flux-helm-release';
import { OperatorHelmRender } from './helm-render';
import { podSecurityLabels } from './namespace-labels';

/** Where Argo CD keeps its Applications. */
export interface OperatorArgoCdOptions {
  /**
   * Namespace of the Argo CD installation; the Application is created there.
   * @default "argocd"
   */
  readonly namespace?: string;
  /**
   * Argo CD project of the Application.
   * @default "default"
   */
  readonly project?: string;
  /**
   * API server of the cluster the chart is installed into.
   * @default "https://kubernetes.default.svc" - the cluster Argo CD runs in
   */
  readonly destinationServer?: string;
}

/** Where and how often Flux reconciles the chart. */
export interface OperatorFluxOptions {
  /**
   * Namespace of the OCIRepository and the HelmRelease.
   * @default "flux-system"
   */
  readonly namespace?: string;
  /**
   * How often Flux checks the chart source and the release, as a Go duration.
   * @default "1h" - the chart is pinned to an exact version, so there is little to notice
   */
  readonly interval?: string;
}

export interface RestateOperatorProps {
  /**
   * The operator's Helm chart, as an `oci://` reference.
   * @default "oci://ghcr.io/restatedev/restate-operator-helm"
   */
  readonly chart?: string;
  /**
   * Exact chart version; ranges are refused so every synth renders the same chart.
   * @default "1.7.4"
   */
  readonly version?: string;
  /**
   * Ship the CRDs from the separate CRDs chart of this version, one step ahead of the operator (Argo CD sync wave
   * -2; Flux `dependsOn`; first in the file with helm), and leave the operator chart's own CRDs out.
   * @default - the operator chart brings its CRDs (chart 1.7.4's crds/ folder)
   */
  readonly crdsVersion?: string;
  /**
   * Namespace the operator runs in.
   * @default "restate-operator"
   */
  readonly namespace?: string;
  /**
   * Helm release name. Chart 1.7.4 names its objects `restate-operator` whatever the release is called.
   * @default "restate-operator"
   */
  readonly releaseName?: string;
  /**
   * How the chart reaches the cluster: `argocd` (an Argo CD Application), `flux` (an OCIRepository and a
   * HelmRelease) or `helm` (rendered here with `helm template`, which needs helm and the registry at synth).
   * @default "argocd" - synthesizes offline and applies the CRDs server-side
   */
  readonly delivery?: Delivery;
  /**
   * Values for the chart.
   * @default {} - the chart's own defaults
   */
  readonly chartValues?: OperatorChartValues;
  /**
   * Pod Security Standards level of the operator's namespace: its PodSecurity labels (enforce, audit and warn), on
   * the Namespace object (helm, flux) or through Argo CD's `managedNamespaceMetadata` (argocd).
   * @default "baseline" - the level the operator's pod meets with the chart's defaults (docs/pod-security.md)
   */
  readonly podSecurityLevel?: PodSecurityLevel;
  /**
   * Argo CD settings, used by the `argocd` delivery.
   * @default { namespace: "argocd", project: "default" }
   */
  readonly argocd?: OperatorArgoCdOptions;
  /**
   * Flux settings, used by the `flux` delivery.
   * @default { namespace: "flux-system", interval: "1h" }
   */
  readonly flux?: OperatorFluxOptions;
  /**
   * The helm program, used by the `helm` delivery at synth time.
   * @default "helm" - looked up on PATH
   */
  readonly helmExecutable?: string;
}

/** The pinned operator chart, published from tag v1.7.4 of https://github.com/restatedev/restate-operator */
export const OPERATOR_CHART = 'oci://ghcr.io/restatedev/restate-operator-helm';
export const OPERATOR_CHART_VERSION = '1.7.4';

/**
 * The Restate operator (its CRDs, RBAC and Deployment), from the pinned Helm chart, delivered one of three ways.
 * Each object carries its namespace explicitly (the enclosing Chart has none) and Argo CD sync wave -1, so it
 * lands before the RestateCluster (wave 0).
 */
export class RestateOperator extends Construct {
  /** The delivery used. */
  public readonly delivery: Delivery;
  /** The namespace the operator runs in. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: RestateOperatorProps = {}) {
    super(scope, id);
    const chart = props.chart ?? OPERATOR_CHART;
    const version = props.version ?? OPERATOR_CHART_VERSION;
    const namespace = props.namespace ?? 'restate-operator';
    const releaseName = props.releaseName ?? 'restate-operator';
    const delivery = props.delivery ?? 'argocd';
    const crdsVersion = props.crdsVersion;
    // Chart 2.8.1 would install its CRDs subchart too (installCrds defaults to true): the CRDs chart ships apart.
    const chartValues =
      crdsVersion !== undefined && version !== '1.7.4' ? { ...props.chartValues, installCrds: false } : (props.chartValues ?? {});
    const argocd = { namespace: props.argocd?.namespace ?? 'argocd', project: props.argocd?.project ?? 'default' };
    const flux = { namespace: props.flux?.namespace ?? 'flux-system', interval: props.flux?.interval ?? '1h' };
    const helmExecutable = props.helmExecutable ?? 'helm';
    const namespaceLabels = podSecurityLabels(props.podSecurityLevel ?? DEFAULT_POD_SECURITY_LEVEL);

    parseOciChartRef(chart);
    const chartNamespace = Chart.of(this).namespace;
    if (chartNamespace !== undefined) {
      // A Chart's namespace is stamped onto every object in it, cluster-scoped ones included, and would hide
      // which namespaced objects the chart left without one.
      throw new Error(
        `RestateOperator sets each object's namespace itself; put it in a Chart without a namespace (this one has "${chartNamespace}")`,
      );
    }
    if (validSemver(version) !== version) {
      throw new Error(`operator chart version "${version}" must be an exact version such as 1.7.4`);
    }
    this.delivery = delivery;
    this.namespace = namespace;

    const common = { chart, version, namespace, releaseName, chartValues, namespaceLabels };
    const separateCrds = crdsVersion !== undefined;
    switch (delivery) {
      case 'helm':
        if (separateCrds)
          new OperatorCrdsHelmRender(this, 'HelmCrds', { chart, version: crdsVersion, namespace, releaseName, helmExecutable });
        new OperatorHelmRender(this, 'Helm', { ...common, helmExecutable, includeCrds: !separateCrds, crdsVersion });
        break;
      case 'argocd':
        if (separateCrds) {
          new OperatorCrdsArgoApplication(this, 'ArgoCdCrds', {
            version: crdsVersion,
            releaseName,
            namespace,
            argocdNamespace: argocd.namespace,
            project: argocd.project,
            destinationServer: props.argocd?.destinationServer,
          });
        }
        new OperatorArgoApplication(this, 'ArgoCd', {
          ...common,
          argocdNamespace: argocd.namespace,
          project: argocd.project,
          destinationServer: props.argocd?.destinationServer,
          skipCrds: separateCrds,
        });
        break;
      case 'flux': {
        const crds = separateCrds
          ? new OperatorCrdsFluxRelease(this, 'FluxCrds', {
              version: crdsVersion,
              releaseName,
              namespace,
              fluxNamespace: flux.namespace,
              interval: flux.interval,
            })
          : undefined;
        new OperatorFluxRelease(this, 'Flux', {
          ...common,
          fluxNamespace: flux.namespace,
          interval: flux.interval,
          crdsRelease: crds?.releaseName,
        });
        break;
      }
      default:
        throw new Error(`unknown operator delivery "${String(delivery satisfies never)}"`);
    }
  }
}
