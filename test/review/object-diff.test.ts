import { fieldChanges } from '../../lib/review/object-diff';

describe('the field diff names a command-line value by its flag', () => {
  test('a flag whose value changes is named by the flag, with the value item as its path', () => {
    // GIVEN a Job's args where only the value after --ensure-replication changes
    const before = { args: ['--address', 'http://x:5122', '--replicas', '3', '--ensure-replication', '2'] };
    const after = { args: ['--address', 'http://x:5122', '--replicas', '3', '--ensure-replication', '3'] };
    // WHEN diffing THEN the change is the flag's value, not "args[5]"
    expect(fieldChanges(before, after)).toEqual([{ path: 'args[5]', flag: '--ensure-replication', before: '2', after: '3' }]);
  });

  test('an added, a removed and a --flag=value flag are each one change, however the list shifted', () => {
    // GIVEN a flag inserted in front, one removed, one bare flag added and one written --name=value
    const before = ['--deadline', '600', '--replicas', '3', '--interval=5'];
    const after = ['--address', 'http://x:5122', '--replicas', '5', '--interval=10', '--wait-serving'];
    // WHEN diffing THEN each flag is one change, in the order of the new list, the removed one last
    expect(fieldChanges(before, after, 'args')).toEqual([
      { path: 'args[1]', flag: '--address', after: 'http://x:5122' },
      { path: 'args[3]', flag: '--replicas', before: '3', after: '5' },
      { path: 'args[4]', flag: '--interval', before: '5', after: '10' },
      { path: 'args[5]', flag: '--wait-serving', after: '--wait-serving' },
      { path: 'args[1]', flag: '--deadline', before: '600' },
    ]);
  });

  test('the same flags in another order are still a change: the whole list', () => {
    // GIVEN the same flag values, reordered WHEN diffing THEN the list is the change (the object differs)
    const before = ['--replicas', '3', '--deadline', '600'];
    const after = ['--deadline', '600', '--replicas', '3'];
    expect(fieldChanges(before, after, 'args')).toEqual([{ path: 'args', before, after }]);
  });

  test('a list that is not a command line of flags is compared item by item', () => {
    // GIVEN a command that starts with a program, and a flag given twice WHEN diffing THEN items by position
    expect(fieldChanges(['sh', '/scripts/a.sh'], ['sh', '/scripts/b.sh'], 'command')).toEqual([
      { path: 'command[1]', before: '/scripts/a.sh', after: '/scripts/b.sh' },
    ]);
    expect(fieldChanges(['--x', '1', '--x', '2'], ['--x', '1', '--x', '3'], 'args')).toEqual([
      { path: 'args[3]', before: '2', after: '3' },
    ]);
  });
});
