// The store's lock: one exclusive flock(2) on DIR/images/lock, taken as the
// pods' locks are (src/pod/lock.ts: on a descriptor this process holds).
// The kernel drops the lock when this process closes the descriptor or
// dies: no stale lock is ever left behind, so there is nothing to detect or
// break.
export { withLock } from '../pod/lock.js';
