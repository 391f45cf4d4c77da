// The image manifest (spec/aci.md, "Image Manifest Schema").
import { z } from 'zod';
import { AbsolutePath, AcIdentifier, AcVersion, DependencyImageId, acKindOf } from './identifiers.js';
import { Labels } from './labels.js';
import { Annotations } from './annotations.js';
import { App } from './app.js';
import { goObject } from './go-object.js';

/** An image whose files are laid down before this image's own. */
export const Dependency = goObject({
  imageName: AcIdentifier,
  imageID: DependencyImageId.optional(),
  labels: Labels.optional(),
  size: z.number().int().nonnegative({ error: 'the size cannot be negative' }).optional(),
});
export type Dependency = z.infer<typeof Dependency>;

/** The manifest of an ACI. Unknown fields are kept. */
export const ImageManifest = goObject({
  acKind: acKindOf('ImageManifest'),
  acVersion: AcVersion,
  name: AcIdentifier,
  labels: Labels.optional(),
  app: App.optional(),
  dependencies: z.array(Dependency).optional(),
  pathWhitelist: z.array(AbsolutePath).optional(),
  annotations: Annotations.optional(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;
