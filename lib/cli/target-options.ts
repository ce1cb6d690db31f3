/**
 * Command-line options every entry point shares (synth, deploy, verify): which target, and where its values
 * are. For node:util parseArgs.
 */
export const TARGET_OPTIONS = {
  environment: { type: 'string', short: 'e' },
  provider: { type: 'string', short: 'p' },
  'values-dir': { type: 'string', default: 'values' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
