// Labels of images and dependencies (spec/aci.md): unique AC identifiers,
// `name` is reserved for the image name, os/arch from a whitelist.
import { z } from 'zod';
import { AcIdentifier } from './identifiers.js';
import { goObject, listSkippingNull } from './go-object.js';
import { uniqueNames } from './unique.js';

/** os/arch pairs the reference implementation accepts (types.ValidOSArch). */
export const VALID_OS_ARCH: Readonly<Record<string, readonly string[]>> = {
  linux: ['amd64', 'i386', 'aarch64', 'aarch64_be', 'armv6l', 'armv7l', 'armv7b', 'ppc64', 'ppc64le', 's390x'],
  freebsd: ['amd64', 'i386', 'arm'],
  darwin: ['x86_64', 'i386'],
};

/** A label; without a value its value is "" (as actool reads it). */
export const Label = goObject({ name: AcIdentifier, value: z.string().default('') });
export type Label = z.infer<typeof Label>;

export const Labels = listSkippingNull(Label).superRefine((labels, ctx) => {
  labels.forEach((l, i) => {
    if (l.name === 'name') ctx.addIssue({ code: 'custom', path: [i, 'name'], message: '"name" cannot be a label (it is the image name)', input: l.name });
  });
  uniqueNames(labels, ctx, 'label', (l) => l.name);
  const osAt = labels.findIndex((l) => l.name === 'os');
  if (osAt < 0) return; // arch means something only together with os
  const os = labels[osAt]!.value;
  const arches = Object.hasOwn(VALID_OS_ARCH, os) ? VALID_OS_ARCH[os] : undefined;
  if (!arches) {
    const valid = Object.keys(VALID_OS_ARCH).sort().join(', ');
    ctx.addIssue({ code: 'custom', path: [osAt, 'value'], message: `${JSON.stringify(os)} is not a valid os (valid: ${valid})`, input: os });
    return;
  }
  const archAt = labels.findIndex((l) => l.name === 'arch');
  const arch = labels[archAt]?.value;
  if (arch !== undefined && !arches.includes(arch)) {
    ctx.addIssue({
      code: 'custom',
      path: [archAt, 'value'],
      message: `${JSON.stringify(arch)} is not a valid arch for os ${os} (valid: ${arches.join(', ')})`,
      input: arch,
    });
  }
});
export type Labels = z.infer<typeof Labels>;
