import { Construct } from 'constructs';
import * as monitoring from '../../../imports/monitoring.coreos.com';
import { SYNC_WAVE, Wave } from '../argocd-annotations';
import type { AlertRule } from './rules';

export interface RestatePrometheusRuleProps {
  /** The RestateCluster the alerts watch; also the PrometheusRule's name. */
  readonly clusterName: string;

  /** Where the PrometheusRule lives: beside the PodMonitor, never in the namespace the operator creates. */
  readonly namespace: string;

  /** The alerting rules (`alertRules`), in order. */
  readonly rules: readonly AlertRule[];

  /**
   * Labels on the PrometheusRule, for the `ruleSelector` of your Prometheus: the PodMonitor's, so that the
   * Prometheus that scrapes the cluster also evaluates its alerts.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A Prometheus Operator PrometheusRule with the cluster's alerts, in one group named after the cluster. Each rule's
 * `runbook_url` points at its section of docs/runbooks.md.
 */
export class RestatePrometheusRule extends Construct {
  /** The PrometheusRule object (the class `cdk8s import` generated from the Prometheus Operator's CRD). */
  public readonly apiObject: monitoring.PrometheusRule;

  constructor(scope: Construct, id: string, props: RestatePrometheusRuleProps) {
    super(scope, id);
    this.apiObject = new monitoring.PrometheusRule(this, 'Resource', {
      metadata: {
        name: props.clusterName,
        namespace: props.namespace,
        labels: props.labels,
        annotations: { [SYNC_WAVE]: Wave.MONITORING },
      },
      spec: {
        groups: [
          {
            name: `restate-${props.clusterName}`,
            rules: props.rules.map((rule) => ({
              alert: rule.alert,
              expr: monitoring.PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr),
              for: rule.for,
              labels: rule.labels,
              annotations: rule.annotations,
            })),
          },
        ],
      },
    });
  }
}
