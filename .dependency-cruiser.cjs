/**
 * The dependency rules of docs/ARCHITECTURE.md, checked by `npm run lint:deps` (dependency-cruiser) in CI.
 * Imports go one way: errors/ <- values/ <- target-folder/ <- stack/ <- synth/, deploy/, verify/, review/ <- the edges (main.ts, lib/<x>/cli.ts),
 * and values/ <- cli/ <- the four commands. test/architecture.test.ts checks these rules against ARCHITECTURE's folder table.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'commands-stay-apart',
      severity: 'error',
      comment: 'synth/ and verify/ never import another command folder (synth, deploy, verify, review).',
      from: { path: '^lib/(synth|verify)/' },
      to: { path: '^lib/(synth|deploy|verify|review)/', pathNot: '^lib/$1/' },
    },
    {
      name: 'deploy-uses-synth-only-through-run',
      severity: 'error',
      comment: 'deploy/ never imports verify/ or review/, and of synth/ only run.ts (`deploy build` is synth).',
      from: { path: '^lib/deploy/' },
      to: { path: '^lib/(synth|verify|review)/', pathNot: '^lib/synth/run\\.ts$' },
    },
    {
      name: 'review-uses-synth-only-through-its-seams',
      severity: 'error',
      comment:
        'review/ (npm run plan) never imports deploy/ or verify/; of synth/ only what a plan repeats of synth: run.ts (synthTarget), ' +
        'committed.ts (reading git), storage-guard.ts, operator-upgrade-guard.ts and change-rules/ (the refusals, one implementation).',
      from: { path: '^lib/review/' },
      to: {
        path: '^lib/(synth|deploy|verify)/',
        pathNot: [
          '^lib/synth/run\\.ts$',
          '^lib/synth/committed\\.ts$',
          '^lib/synth/storage-guard\\.ts$',
          '^lib/synth/operator-upgrade-guard\\.ts$',
          '^lib/synth/change-rules/',
        ],
      },
    },
    {
      name: 'nothing-below-imports-an-edge',
      severity: 'error',
      comment: 'Only the edges read argv and map errors to exit codes; nothing under lib/ imports one.',
      from: { path: '^lib/' },
      to: { path: '^(main\\.ts|lib/[^/]+/cli\\.ts)$' },
    },
    {
      name: 'stack-target-values-never-import-commands',
      severity: 'error',
      comment: 'values/, target-folder/ and stack/ are used by the commands, never the other way round.',
      from: { path: '^lib/(values|target-folder|stack)/' },
      to: { path: '^lib/(synth|deploy|verify|review|cli)/' },
    },
    {
      name: 'operator-part-below-verify',
      severity: 'error',
      comment:
        'operator-part/ (what the operator writes) imports values/, target-folder/ and errors/ only; of the commands only verify/ imports it.',
      from: { path: '^lib/operator-part/' },
      to: { path: '^lib/', pathNot: ['^lib/operator-part/', '^lib/values/', '^lib/target-folder/', '^lib/errors/'] },
    },
    {
      name: 'operator-part-for-verify-only',
      severity: 'error',
      comment: 'Of the folders under lib/, only verify/ imports operator-part/.',
      from: { path: '^lib/(synth|deploy|review|stack|target-folder|values|cli|errors)/' },
      to: { path: '^lib/operator-part/' },
    },
    {
      name: 'control-plane-on-its-own',
      severity: 'error',
      comment:
        'control-plane/ (a Kubernetes control plane built from Go modules, and the podlet that runs its pods) imports nothing else of lib/.',
      from: { path: '^lib/control-plane/' },
      to: { path: '^lib/', pathNot: '^lib/control-plane/' },
    },
    {
      name: 'control-plane-for-verify-only',
      severity: 'error',
      comment: 'Of the folders under lib/, only verify/ imports control-plane/.',
      from: { path: '^lib/(synth|deploy|review|stack|target-folder|values|cli|errors|operator-part)/' },
      to: { path: '^lib/control-plane/' },
    },
    {
      name: 'target-below-stack',
      severity: 'error',
      comment: 'target-folder/ (what a target folder is) stays free of the constructs and of cdk8s.',
      from: { path: '^lib/target-folder/' },
      to: { path: ['^lib/stack/', '^node_modules/(cdk8s|cdk8s-plus-28|constructs)/'] },
    },
    {
      name: 'values-at-the-bottom',
      severity: 'error',
      comment: 'values/ imports nothing else of lib/ but the error base type.',
      from: { path: '^lib/values/' },
      to: { path: '^lib/', pathNot: ['^lib/values/', '^lib/errors/'] },
    },
    {
      name: 'cli-below-the-commands',
      severity: 'error',
      comment: "cli/ (the commands' argument helpers) imports nothing else of lib/ but values/ and errors/.",
      from: { path: '^lib/cli/' },
      to: { path: '^lib/', pathNot: ['^lib/cli/', '^lib/values/', '^lib/errors/'] },
    },
    {
      name: 'errors-at-the-very-bottom',
      severity: 'error',
      comment: 'errors/ (the user-error base type and the exit codes) imports nothing else of lib/.',
      from: { path: '^lib/errors/' },
      to: { path: '^lib/', pathNot: '^lib/errors/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: ['^lib/', '^main\\.ts$', '^imports/', '^node_modules/'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default'] },
  },
};
