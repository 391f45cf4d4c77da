// The app object of an image manifest (spec/aci.md), also used to override
// it in a pod manifest: exec, user and group, handlers, environment, ports,
// mount points, isolators.
import { z } from 'zod';
import { AbsolutePath, AcName, UserMap } from './identifiers.js';
import { isolatorList } from './isolators.js';
import { ENV_NAME, ENV_NAME_RULE } from './patterns.js';
import { uniqueNames } from './unique.js';

const q = JSON.stringify;

/** A variable of the app's environment; the name as spec/aci.md says (patterns.ts). */
export const EnvironmentVariable = z.looseObject({
  name: z.string().regex(ENV_NAME, { error: (i) => `${q(i.input)} is not a valid environment variable name (${ENV_NAME_RULE})` }),
  value: z.string(),
});
export type EnvironmentVariable = z.infer<typeof EnvironmentVariable>;

export const EVENT_HANDLER_NAMES = ['pre-start', 'post-stop'] as const;
/** A command run before the app starts or after it stopped. */
export const EventHandler = z.looseObject({
  name: z.enum(EVENT_HANDLER_NAMES, { error: (i) => `${q(i.input)} is not an event (events: ${EVENT_HANDLER_NAMES.join(', ')})` }),
  exec: z.array(z.string()),
});
export type EventHandler = z.infer<typeof EventHandler>;

const portNumber = (what: string, min: number) =>
  z.number().refine((n) => Number.isInteger(n) && n >= min && n <= 65535, { error: (i) => `${q(i.input)} is not a ${what} (${min}..65535)` });

/** A port, or a range of `count` ports from `port`, the app listens on. */
export const Port = z
  .looseObject({
    name: AcName,
    protocol: z.string(),
    port: portNumber('port number', 1),
    count: portNumber('port count', 1).default(1),
    socketActivated: z.boolean().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.port + p.count > 65536) {
      ctx.addIssue({ code: 'custom', path: ['count'], input: p.count, message: `ports ${p.port}..${p.port + p.count - 1} go past 65535` });
    }
  });
export type Port = z.infer<typeof Port>;

/** Where the app expects a volume to be mounted. */
export const MountPoint = z.looseObject({
  name: AcName,
  path: z.string().min(1, { error: 'the path must not be empty' }),
  readOnly: z.boolean().optional(),
});
export type MountPoint = z.infer<typeof MountPoint>;

const requiredText = (what: string) => z.string().min(1, { error: `the ${what} must not be empty` });

const AppObject = z.looseObject({
  exec: z.array(z.string()).optional(),
  user: requiredText('user'),
  group: requiredText('group'),
  supplementaryGIDs: z.array(z.number().int().nonnegative({ error: 'a group ID cannot be negative' })).optional(),
  eventHandlers: z.array(EventHandler).superRefine((l, ctx) => uniqueNames(l, ctx, 'event handler', (h) => h.name)).optional(),
  workingDirectory: AbsolutePath.optional(),
  environment: z.array(EnvironmentVariable).superRefine((l, ctx) => uniqueNames(l, ctx, 'environment variable', (v) => v.name)).optional(),
  isolators: isolatorList('app').optional(),
  mountPoints: z.array(MountPoint).optional(),
  ports: z.array(Port).optional(),
  userAnnotations: UserMap.optional(),
  userLabels: UserMap.optional(),
});

/**
 * How to run an image as an app. The spec spells the supplementary groups
 * both supplementaryGIDs (text, reference implementation) and
 * supplementaryGids (its example): both are read, supplementaryGIDs is kept.
 */
export const App = z.preprocess((input, ctx) => {
  if (typeof input !== 'object' || input === null || !('supplementaryGids' in input)) return input;
  const { supplementaryGids, ...rest } = input as Record<string, unknown>;
  if ('supplementaryGIDs' in rest) {
    ctx.issues.push({ code: 'custom', path: ['supplementaryGids'], input, message: 'give supplementaryGIDs or supplementaryGids, not both' });
  }
  return { ...rest, supplementaryGIDs: supplementaryGids };
}, AppObject);
export type App = z.infer<typeof App>;
