import { parseVerifyArgs, type VerifyArgs } from '../../lib/verify/args';
import { ValuesError } from '../../lib/values';

const DEV = ['--environment', 'dev', '--provider', 'vultr'];
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseVerifyArgs(argv, env) as VerifyArgs;
const refusal = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    parseVerifyArgs(argv, env);
  } catch (error) {
    if (error instanceof ValuesError) return error.message;
    throw error;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe("verify's --on and --operator-bin", () => {
  test('the model is the default base; --on control-plane picks the control plane', () => {
    expect(parse(DEV).on).toBe('model');
    expect(parse([...DEV, '--on', 'control-plane']).on).toBe('control-plane');
  });

  test('the operator binary comes from --operator-bin, else from RESTATE_OPERATOR_BIN, and says which named it', () => {
    const env = { RESTATE_OPERATOR_BIN: '/opt/op-env' };
    expect(parse([...DEV, '--on', 'control-plane', '--operator-bin', '/opt/op'], env).operatorBin).toEqual({
      path: '/opt/op',
      givenBy: '--operator-bin',
    });
    expect(parse([...DEV, '--on', 'control-plane'], env).operatorBin).toEqual({ path: '/opt/op-env', givenBy: 'RESTATE_OPERATOR_BIN' });
    // (the variable is for the control plane only: the model has no operator to replace)
    expect(parse(DEV, env).operatorBin).toBeUndefined();
  });

  test('an unknown base, --operator-bin on the model and a scenario on the control plane are refused, each naming the flag', () => {
    expect(refusal([...DEV, '--on', 'kind'])).toContain('--on: unknown base "kind"; the bases are: model, control-plane');
    expect(refusal([...DEV, '--operator-bin', '/opt/op'])).toContain(
      '--operator-bin runs the operator on the control plane: give it with --on control-plane',
    );
    expect(refusal([...DEV, '--on', 'control-plane', '--scenario', 'scale-out'])).toContain(
      '--scenario runs on the model only; the day-two scenarios are not on --on control-plane yet',
    );
  });
});
