import { parseDeployArgs } from '../../lib/deploy/args';
import { chooseContext } from '../../lib/deploy/context';
import { DeployError } from '../../lib/deploy/errors';

/** The DeployError a parse throws (the test fails when it does not throw one). */
function parseError(argv: string[]): DeployError {
  try {
    parseDeployArgs(argv);
  } catch (error) {
    if (error instanceof DeployError) return error;
    throw error;
  }
  throw new Error(`parsed without error: ${argv.join(' ')}`);
}

describe('the deploy command line', () => {
  test('takes a command, the target and defaults for the rest', () => {
    expect(parseDeployArgs(['promote', '-e', 'dev', '-p', 'vultr'])).toEqual({
      command: 'promote',
      environment: 'dev',
      provider: 'vultr',
      valuesDir: 'values',
      dist: 'dist',
      context: undefined,
      allowContextMismatch: false,
      timeoutSeconds: 300,
      forceConflicts: false,
    });
  });

  test('reads every option', () => {
    const argv = [
      'promote',
      '--environment',
      'prod',
      '--provider',
      'aws',
      '--values-dir',
      'v',
      '--dist',
      'out',
      '--context',
      'c',
      '--allow-context-mismatch',
      '--timeout',
      '30',
      '--force-conflicts',
    ];
    expect(parseDeployArgs(argv)).toEqual({
      command: 'promote',
      environment: 'prod',
      provider: 'aws',
      valuesDir: 'v',
      dist: 'out',
      context: 'c',
      allowContextMismatch: true,
      timeoutSeconds: 30,
      forceConflicts: true,
    });
  });

  test.each([
    [[], 'name a command'],
    [['deploy', '-e', 'dev', '-p', 'vultr'], 'unknown command "deploy"; known: build, preview, promote, provision, status, recover'],
    [['build', 'preview', '-e', 'dev', '-p', 'vultr'], 'one command only, got: build preview'],
    [['status', '-e', 'dev'], '--environment and --provider are both required'],
    [['status', '-e', 'dev', '-p', 'vultr', '--bogus'], 'unknown option --bogus'],
    [['status', '-e', 'dev', '-p', 'vultr', '--contxt', 'x'], 'unknown option --contxt (did you mean --context?)'],
    [
      ['promte', '-e', 'dev', '-p', 'vultr'],
      'unknown command "promte" (did you mean "promote"?); known: build, preview, promote, provision, status',
    ],
    [['promote', '-e', 'dev', '-p', 'vultr', '--timeout', '0'], '--timeout must be a whole number of seconds between 1 and 86400, got "0"'],
    [['promote', '-e', 'dev', '-p', 'vultr', '--timeout', '5m'], 'got "5m"'],
    [['status', '-e', 'dev', '-p', 'vultr', '--timeout', '5'], '--timeout only applies to promote, provision and recover'],
    [['status', '-e', 'dev', '-p', 'vultr', '--force-conflicts'], '--force-conflicts only applies to preview and promote'],
    [['build', '-e', 'dev', '-p', 'vultr', '--context', 'x'], '--context does not apply to build'],
  ])('%j is a usage error (exit 2): %s', (argv, message) => {
    const error = parseError(argv);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/\nusage: npm run /);
  });

  test("a mistake with a known command shows that command's usage", () => {
    // GIVEN / WHEN a flag status does not take THEN the usage shown is status's
    const error = parseError(['status', '-e', 'dev', '-p', 'vultr', '--timeout', '5']);
    expect(error.message).toContain('usage: npm run status -- --environment ENV --provider PROVIDER [options]');
    expect(error.message).not.toContain('--force-conflicts ');
  });

  test("--help with a command is that command's own usage, with only its options; without one, the list of commands", () => {
    // GIVEN each command WHEN asked for help
    const help = (argv: string[]) => {
      const parsed = parseDeployArgs(argv);
      if (!('help' in parsed)) throw new Error('expected a help request');
      return parsed.help;
    };
    // THEN build names its script and no cluster flag; promote has the wait timeout and the conflicts flag
    expect(help(['build', '--help'])).toMatch(
      /^usage: npm run deploy:build -- --environment ENV --provider PROVIDER \[options\]\n {7}mise run deploy:build /,
    );
    expect(help(['build', '--help'])).not.toMatch(/--context|--timeout|--force-conflicts/);
    expect(help(['promote', '-h'])).toMatch(/--timeout SECONDS +upper bound of each wait/);
    expect(help(['promote', '-h'])).toContain('--force-conflicts');
    expect(help(['provision', '--help'])).toMatch(/--timeout SECONDS +deadline of the provisioning script/);
    expect(help(['provision', '--help'])).not.toContain('--dist');
    expect(help(['status', '--help'])).toContain('kubectl >= 1.31');
    expect(help(['--help'])).toMatch(/^usage: npm run COMMAND -- /);
    expect(help(['--help'])).toContain('  deploy:promote  Applies the target in order');
    for (const argv of [['build', '--help'], ['promote', '--help'], ['--help']]) expect(help(argv)).not.toContain('tsx');
  });
});

describe('choosing the kube context', () => {
  const base = { environment: 'dev', configured: 'restate-dev', allowMismatch: false };

  test('the current context is used when it is the configured one', () => {
    expect(chooseContext({ ...base, current: 'restate-dev' })).toEqual({ context: 'restate-dev' });
  });

  test('--context wins over the current context and is checked the same way', () => {
    expect(chooseContext({ ...base, current: 'other', requested: 'restate-dev' })).toEqual({ context: 'restate-dev' });
    expect(() => chooseContext({ ...base, current: 'restate-dev', requested: 'other' })).toThrow(
      'refusing to run: kube context is "other" but deploy.kubeContext of environment "dev" (values/environments/dev.yaml) is "restate-dev"',
    );
  });

  test('an environment without deploy.kubeContext is refused unless the mismatch is allowed', () => {
    const inputs = { environment: 'dev', configured: undefined, current: 'kind-kind' };
    expect(() => chooseContext({ ...inputs, allowMismatch: false })).toThrow(
      'no deploy.kubeContext of environment "dev" (values/environments/dev.yaml) is set, so there is nothing to check kube context "kind-kind" against',
    );
    expect(chooseContext({ ...inputs, allowMismatch: true })).toEqual({
      context: 'kind-kind',
      warning: expect.stringContaining('going on because of --allow-context-mismatch'),
    });
  });

  test('no current context and no --context is an error naming the configured context', () => {
    expect(() => chooseContext({ ...base, allowMismatch: true })).toThrow('kubectl has no current context. Pass --context restate-dev');
  });
});
