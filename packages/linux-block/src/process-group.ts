/**
 * Whether any process of group `pgid` is still there: signal 0 checks without signalling, and EPERM means a
 * process exists that we may not signal.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
