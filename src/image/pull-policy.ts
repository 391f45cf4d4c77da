// --pull-policy (rkt's): when an image named on the command line is fetched.
// never: only the store (files are still read); new: what the store lacks;
// update: ask the remote for a newer image. (No zod: the CLI's option
// parsing loads this module.)
export const PULL_POLICIES = ['never', 'new', 'update'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];
