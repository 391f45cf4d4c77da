// The scalar types of appc spec 0.8.11 (spec/types.md): identifiers, names,
// kinds, versions, image IDs. Messages quote the offending value, because
// the path alone rarely shows what is wrong with it.
import { z } from 'zod';
import { AC_NAME } from './patterns.js';

const quoted = (v: unknown) => JSON.stringify(v);

// The spec's regular expressions for AC identifiers and names forbid two
// separators in a row, yet its own example example.com/~user/app_v1 has
// them; the reference implementation only checks characters and edges, and
// so does sprocket.

/** Lowercase URI-unreserved characters, alphanumeric at both ends: image names, label and isolator names. */
export const AcIdentifier = z.string().regex(/^[a-z0-9]([-._~/a-z0-9]*[a-z0-9])?$/, {
  error: (i) => `${quoted(i.input)} is not an AC identifier (lowercase letters and digits, joined by - . _ ~ /)`,
});
export type AcIdentifier = z.infer<typeof AcIdentifier>;

/** DNS-label-like name: app, volume, port and mount point names. */
export const AcName = z.string().regex(AC_NAME, {
  error: (i) => `${quoted(i.input)} is not an AC name (lowercase letters and digits, joined by -)`,
});
export type AcName = z.infer<typeof AcName>;

/** The kinds of manifest that spec 0.8.11 defines. */
export const AC_KINDS = ['ImageManifest', 'PodManifest'] as const;
export const AcKind = z.enum(AC_KINDS, {
  error: (i) => `${quoted(i.input)} is not an AC kind (kinds: ${AC_KINDS.join(', ')})`,
});
export type AcKind = z.infer<typeof AcKind>;

/** `acKind` of a manifest that must be of one kind; names the kinds that exist otherwise. */
export const acKindOf = <K extends AcKind>(kind: K) =>
  z.literal(kind, {
    error: (i) =>
      i.input === undefined
        ? 'is required'
        : typeof i.input === 'string' && (AC_KINDS as readonly string[]).includes(i.input)
          ? `this is a ${i.input}, expected ${kind}`
          : `${quoted(i.input)} is not an AC kind (kinds: ${AC_KINDS.join(', ')})`,
  });

// SemVer 2.0.0, from semver.org: no leading zeros, optional pre-release and build.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-((0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$/;

const INT64_MAX = 2n ** 63n - 1n;

/** Version of the spec a manifest follows: SemVer 2.0.0, not 0.0.0. */
export const AcVersion = z
  .string()
  .regex(SEMVER, { error: (i) => `${quoted(i.input)} is not a semantic version (like 0.8.11)` })
  .refine((v) => v !== '0.0.0', { error: 'the version cannot be 0.0.0' })
  // actool reads major, minor and patch as signed 64-bit integers.
  .refine((v) => !SEMVER.test(v) || v.split(/[-+]/)[0]!.split('.').every((n) => BigInt(n) <= INT64_MAX), {
    error: (i) => `${quoted(i.input)}: a part of the version is beyond 9223372036854775807 (64 bits)`,
  });
export type AcVersion = z.infer<typeof AcVersion>;

/** Content address of an image: sha512- and the 128 hex digits of the digest. */
export const ImageId = z.string().regex(/^sha512-[0-9a-f]{128}$/, {
  error: (i) => `${quoted(i.input)} is not an image ID (sha512- followed by 128 lowercase hex digits)`,
});
export type ImageId = z.infer<typeof ImageId>;

/**
 * The image of a pod's app (apps[].image.id): the hex digest may be in
 * either case and cut short, as actool and rkt take it; it is read in
 * lowercase, and a short one names the one stored image whose ID it begins
 * (the store's resolve). Hex it must be (spec/types.md), which actool does
 * not check.
 */
export const PodImageId = z
  .string()
  .regex(/^sha512-[0-9a-fA-F]+$/, { error: (i) => `${quoted(i.input)} is not an image ID (sha512- followed by hex digits of the digest)` })
  .transform((id) => id.toLowerCase());

/**
 * imageID of a dependency: the reference implementation only asks for
 * `sha512-<value>` here, and the spec's own example carries the placeholder
 * `sha512-...`. Such a reference can never match an image; check it with
 * ImageId before using it as a key into the store.
 */
export const DependencyImageId = z.string().regex(/^sha512-[^-/\s]+$/, {
  error: (i) => `${quoted(i.input)} is not an image ID (sha512- followed by the hex digest)`,
});

/** Absolute path (inside an image, or on the host for host volumes). */
export const AbsolutePath = z.string().startsWith('/', { error: (i) => `${quoted(i.input)} is not an absolute path` });

/** Map of free strings for end users (userAnnotations, userLabels); never read by sprocket. */
export const UserMap = z.record(z.string(), z.string());
