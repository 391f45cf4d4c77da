// An image gets no more privilege than the operator grants. The isolators an
// app takes from its image (those no flag replaced, in an app that the
// operator's pod manifest does not write out) may only narrow the defaults:
// appc's default capabilities, sprocket's default seccomp filter,
// no-new-privileges as the default (off), the pod's labels. Widening takes
// the operator's word: the isolator on the command line or in a
// --pod-manifest, or --insecure-options.
import { SprocketError } from '../errors.js';
import { findIsolator, type Isolator } from '../spec/index.js';
import type { ImageGrants } from './request.js';
import { DEFAULT_CAPABILITIES } from '../../stage1-nspawn/isolators.js';

export const NO_GRANTS: ImageGrants = { capabilities: false, labels: false, seccomp: false };

const LABELS = ['os/linux/selinux-context', 'os/linux/apparmor-profile'];

/**
 * Refuses an image isolator that widens a default, naming the image, the
 * isolator and the flag that would allow it. `image` is the image's name;
 * the fields are those of its manifest.
 */
export function checkImageIsolators(isolators: readonly Isolator[], image: string, grants: ImageGrants): void {
  isolators.forEach((iso, j) => {
    const at = { file: `image ${image}`, field: `app.isolators[${j}]` };
    if (iso.name === 'os/linux/capabilities-retain-set' && !grants.capabilities) {
      const beyond = (iso.value as { set: string[] }).set.filter((c) => !DEFAULT_CAPABILITIES.includes(c));
      if (beyond.length) {
        throw new SprocketError('untrusted', `${iso.name} asks for ${beyond.join(', ')}, beyond appc's default capabilities`, {
          ...at,
          hint: `grant ${beyond.length > 1 ? 'them' : 'it'} with --caps-retain after the image (or in a --pod-manifest), or allow the image's own set with --insecure-options=capabilities`,
        });
      }
    }
    if (LABELS.includes(iso.name) && !grants.labels) {
      throw new SprocketError('untrusted', `${iso.name}: an image may not choose its own security label`, {
        ...at,
        hint: 'set the label in a --pod-manifest, or allow the image\'s own with --insecure-options=labels',
      });
    }
  });
}

const seccompSet = (list: readonly Isolator[]) => findIsolator(list, 'os/linux/seccomp-retain-set') ?? findIsolator(list, 'os/linux/seccomp-remove-set');

/**
 * Whether an app gets sprocket's default seccomp filter on top of its own
 * set (stage1-nspawn/isolators.ts, DEFAULT_SECCOMP_DENY): yes, unless
 * --insecure-options=seccomp, or the app's set is the operator's. A set
 * that the image itself carries counts as the image's, whoever repeats it:
 * an image's set narrows the default, never replaces it.
 */
export function seccompDefault(app: readonly Isolator[], image: readonly Isolator[], granted: boolean): boolean {
  if (granted) return false;
  const own = seccompSet(app);
  return !own || image.some((i) => i.name === own.name && JSON.stringify(i.value) === JSON.stringify(own.value));
}
