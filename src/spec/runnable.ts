// What sprocket runs, beyond what validates. A manifest that the spec and
// actool accept may still ask for what systemd cannot do (an environment
// name with a dot), or for what would run weaker than written (a capability
// Linux does not know, so the set cannot be applied; a capability set for a
// whole pod). Such a pod is refused when it is made, before anything is
// written (src/pod/reify.ts); docs/spec.md, "Valid, but not run".
import { z } from 'zod';
import { ENV_NAME, ENV_NAME_RULE } from './patterns.js';
import { ISOLATOR_SCOPES, LINUX_CAPABILITIES, validIsolatorIn, type IsolatorName, type IsolatorScope } from './isolators.js';

const q = JSON.stringify;

const EnvironmentName = z.looseObject({
  name: z.string().regex(ENV_NAME, {
    error: (i) => `${q(i.input)}: systemd cannot set an environment variable of this name (${ENV_NAME_RULE}; appc also allows . and -)`,
  }),
});

const CapabilityNames = z.looseObject({
  set: z.array(z.string().refine((c) => LINUX_CAPABILITIES.includes(c), {
    error: (i) => `${q(i.input)} is not a Linux capability (like CAP_NET_ADMIN): the set cannot be applied as written`,
  })),
});
const CAPABILITY_SETS: readonly string[] = ['os/linux/capabilities-retain-set', 'os/linux/capabilities-remove-set'];

const SCOPE_ADVICE: Record<IsolatorScope, string> = {
  // A pod's isolators bound its apps (spec/ace.md); ignoring one would run the apps with more than it allows.
  pod: 'sprocket cannot bound a whole pod by it: give it to each app',
  app: 'sprocket sets sysctls for the whole pod only: give it in the pod manifest\'s isolators',
};

/** An isolator that sprocket can apply where it stands. */
const RunnableIsolator = (scope: IsolatorScope) =>
  z.looseObject({ name: z.string(), value: z.unknown() }).superRefine((iso, ctx) => {
    const scopes = Object.hasOwn(ISOLATOR_SCOPES, iso.name) ? ISOLATOR_SCOPES[iso.name as IsolatorName] : undefined;
    if (scopes && !scopes.includes(scope)) {
      ctx.addIssue({ code: 'custom', path: ['name'], input: iso.name, message: `${iso.name} applies to ${scopes[0]}s (spec/ace.md): ${SCOPE_ADVICE[scope]}` });
    }
    if (CAPABILITY_SETS.includes(iso.name)) {
      for (const issue of CapabilityNames.safeParse(iso.value, { reportInput: true }).error?.issues ?? []) {
        ctx.addIssue({ ...issue, path: ['value', ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
      }
    }
  });

/** One isolator, valid and runnable where it stands: an isolator flag (src/cli/run-args.ts, src/pod/request.ts) is refused as it is read. */
export const isolatorIn = (scope: IsolatorScope) =>
  validIsolatorIn(scope).superRefine((iso, ctx) => {
    for (const issue of RunnableIsolator(scope).safeParse(iso, { reportInput: true }).error?.issues ?? []) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  });

/** An app object (an image's, or a pod manifest's) that sprocket can run. */
export const RunnableApp = z.looseObject({
  environment: z.array(EnvironmentName).optional(),
  isolators: z.array(RunnableIsolator('app')).optional(),
});

/** A pod manifest that sprocket can run (its images' apps are RunnableApp too). */
export const RunnablePodManifest = z.looseObject({
  apps: z.array(z.looseObject({ app: RunnableApp.optional() })),
  isolators: z.array(RunnableIsolator('pod')).optional(),
  ports: z.array(z.looseObject({
    hostPort: z.number().min(1, { error: 'host port 0: sprocket forwards the host port given, it does not pick one (1..65535)' }),
  })).optional(),
});
