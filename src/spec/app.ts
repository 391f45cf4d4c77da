// The app object of an image manifest (spec/aci.md), also used to override
// it in a pod manifest: exec, user and group, handlers, environment, ports,
// mount points, isolators.
import { z } from 'zod';
import { AbsolutePath, AcName, UserMap } from './identifiers.js';
import { isolatorList } from './isolators.js';
import { emptyIsAbsent, goObject, listSkippingNull, stringList } from './go-object.js';
import { SPEC_ENV_NAME, SPEC_ENV_NAME_RULE } from './patterns.js';
import { uniqueNames } from './unique.js';

const q = JSON.stringify;

/**
 * A variable of the app's environment; the name as spec/aci.md says
 * (patterns.ts): systemd takes fewer names, which runnable.ts checks.
 */
export const EnvironmentVariable = goObject({
  name: z.string().regex(SPEC_ENV_NAME, { error: (i) => `${q(i.input)} is not a valid environment variable name (${SPEC_ENV_NAME_RULE})` }),
  value: z.string().default(''),
});
export type EnvironmentVariable = z.infer<typeof EnvironmentVariable>;

export const EVENT_HANDLER_NAMES = ['pre-start', 'post-stop'] as const;
/** A command run before the app starts or after it stopped; one without exec runs nothing. */
export const EventHandler = goObject({
  name: z.enum(EVENT_HANDLER_NAMES, { error: (i) => `${q(i.input)} is not an event (events: ${EVENT_HANDLER_NAMES.join(', ')})` }),
  exec: stringList(z.string()).default([]),
});
export type EventHandler = z.infer<typeof EventHandler>;

const portNumber = (what: string, min: number) =>
  z.number().refine((n) => Number.isInteger(n) && n >= min && n <= 65535, { error: (i) => `${q(i.input)} is not a ${what} (${min}..65535)` });

/** A port, or a range of `count` ports from `port`, the app listens on. */
export const Port = goObject({
  name: AcName,
  protocol: z.string(),
  port: portNumber('port number', 1),
  count: portNumber('port count', 1).default(1),
  socketActivated: z.boolean().optional(),
}).superRefine((p, ctx) => {
  if (p.port + p.count > 65536) {
    ctx.addIssue({ code: 'custom', path: ['count'], input: p.count, message: `ports ${p.port}..${p.port + p.count - 1} go past 65535` });
  }
});
export type Port = z.infer<typeof Port>;

/** Where the app expects a volume to be mounted. */
export const MountPoint = goObject({
  name: AcName,
  path: z.string().min(1, { error: 'the path must not be empty' }),
  readOnly: z.boolean().optional(),
});
export type MountPoint = z.infer<typeof MountPoint>;

const requiredText = (what: string) => z.string().min(1, { error: `the ${what} must not be empty` });

/**
 * How to run an image as an app. supplementaryGIDs is also read as
 * supplementaryGids (the spec's example), as any other case of any key.
 * An empty workingDirectory is none, as actool and rkt read it ("/").
 */
export const App = goObject({
  exec: stringList(z.string()).optional(),
  user: requiredText('user'),
  group: requiredText('group'),
  supplementaryGIDs: z.array(z.preprocess((v) => v ?? 0, z.number().int().nonnegative({ error: 'a group ID cannot be negative' }))).optional(),
  eventHandlers: z.array(EventHandler).superRefine((l, ctx) => uniqueNames(l, ctx, 'event handler', (h) => h.name)).optional(),
  workingDirectory: emptyIsAbsent(AbsolutePath.optional()),
  environment: z.array(EnvironmentVariable).superRefine((l, ctx) => uniqueNames(l, ctx, 'environment variable', (v) => v.name)).optional(),
  isolators: isolatorList('app').optional(),
  mountPoints: listSkippingNull(MountPoint).optional(),
  ports: z.array(Port).optional(),
  userAnnotations: UserMap.optional(),
  userLabels: UserMap.optional(),
});
export type App = z.infer<typeof App>;
