// appc spec 0.8.11 as zod schemas: the one source of the types sprocket
// uses for manifests, and of the messages that say what is wrong with one.
import { parseValue } from './issues.js';
import { parseManifestJson } from './strict-json.js';
import { ImageManifest } from './image-manifest.js';
import { PodManifest } from './pod-manifest.js';
import { foldedKeys } from './go-object.js';

export { AcIdentifier, AcName, AcKind, AC_KINDS, AcVersion, ImageId, PodImageId, DependencyImageId, AbsolutePath, UserMap } from './identifiers.js';
export { Label, Labels, VALID_OS_ARCH } from './labels.js';
export { Annotation, Annotations } from './annotations.js';
export { Quantity, quantityValue } from './quantity.js';
export {
  KnownIsolator,
  ISOLATOR_NAMES,
  ISOLATOR_SCOPES,
  LINUX_CAPABILITIES,
  isolatorList,
  findIsolator,
  type Isolator,
  type IsolatorName,
  type IsolatorScope,
  type UnknownIsolator,
} from './isolators.js';
export { App, EnvironmentVariable, EventHandler, EVENT_HANDLER_NAMES, Port, MountPoint } from './app.js';
export { ImageManifest, Dependency } from './image-manifest.js';
export { PodManifest, RuntimeApp, RuntimeImage, Volume, Mount, ExposedPort, missingForRun } from './pod-manifest.js';
export { jsonPath, parseValue } from './issues.js';
export { RunnableApp, RunnablePodManifest, isolatorIn } from './runnable.js';

/** Parses an image manifest; throws invalid() naming `file` and the JSON path of the first problem. */
export const parseImageManifest = (input: string | Buffer, file: string): ImageManifest => parseValue(ImageManifest, parseManifestJson(input.toString(), file), file);

/** Parses a pod manifest (a template too: see missingForRun); throws like parseImageManifest. */
export const parsePodManifest = (input: string | Buffer, file: string): PodManifest => parseValue(PodManifest, parseManifestJson(input.toString(), file), file);

/** Parses a manifest of either kind, told apart by its acKind (an unknown kind is named as such). */
export function parseManifest(
  input: string | Buffer,
  file: string,
): { acKind: 'ImageManifest'; manifest: ImageManifest } | { acKind: 'PodManifest'; manifest: PodManifest } {
  const json = parseManifestJson(input.toString(), file);
  return (foldedKeys(['acKind'], json) as { acKind?: unknown } | null)?.acKind === 'PodManifest'
    ? { acKind: 'PodManifest', manifest: parseValue(PodManifest, json, file) }
    : { acKind: 'ImageManifest', manifest: parseValue(ImageManifest, json, file) };
}
