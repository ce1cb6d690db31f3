import { exitStatus, logFile, tailLines } from '../../lib/control-plane/kubelet-node';

describe("the stand-in kubelet's node endpoint, without a server", () => {
  test('--tail keeps the last lines, a last line without its newline counting as one', () => {
    expect(tailLines('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(tailLines('a\nb\nc', 2)).toBe('b\nc');
    expect(tailLines('a\n', 5)).toBe('a\n');
    expect(tailLines('a\nb\n', 0)).toBe('');
  });

  test("the exit status is the metav1.Status kubectl reads: Success, or NonZeroExitCode with the code as the cause's message", () => {
    expect(exitStatus(0, null)).toEqual({ metadata: {}, status: 'Success' });
    expect(exitStatus(3, null)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(exitStatus(null, 'SIGKILL')).toMatchObject({ status: 'Failure', message: 'command terminated by signal SIGKILL' });
  });

  test('a container and its previous instance have log files of their own', () => {
    expect(logFile('/s', 'ns', 'p', 'c', false)).toBe('/s/logs/ns/p/c.log');
    expect(logFile('/s', 'ns', 'p', 'c', true)).toBe('/s/logs/ns/p/c.previous.log');
  });
});
