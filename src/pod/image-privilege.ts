// An image gets no more privilege than the operator grants. The isolators an
// app takes from its image (those no flag replaced, in an app that the
// operator's pod manifest does not write out) may only narrow the defaults:
// appc's default capabilities, no-new-privileges as the default (off), the
// pod's labels. Widening takes the operator's word: the isolator on the
// command line or in a --pod-manifest, or --insecure-options.
import { SprocketError } from '../errors.js';
import type { Isolator } from '../spec/index.js';
import type { ImageGrants } from './request.js';
import { DEFAULT_CAPABILITIES } from '../../stage1-nspawn/isolators.js';

export const NO_GRANTS: ImageGrants = { capabilities: false, labels: false };

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
