// STUB, to be replaced by the full appc 0.8.11 schemas (issue 2).
// The exported names below are the contract other modules build on.
import { z } from 'zod';
import { invalid } from '../errors.js';

export const ImageId = z.string().regex(/^sha512-[0-9a-f]{128}$/);
export type ImageId = z.infer<typeof ImageId>;

export const ImageManifest = z.looseObject({
  acKind: z.literal('ImageManifest'),
  acVersion: z.string(),
  name: z.string(),
  labels: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  app: z.looseObject({ exec: z.array(z.string()).optional(), user: z.string(), group: z.string() }).optional(),
  dependencies: z.array(z.looseObject({ imageName: z.string(), imageID: ImageId.optional() })).optional(),
  pathWhitelist: z.array(z.string()).optional(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

export const PodManifest = z.looseObject({ acKind: z.literal('PodManifest'), acVersion: z.string(), apps: z.array(z.any()) });
export type PodManifest = z.infer<typeof PodManifest>;

function parseWith<T>(schema: z.ZodType<T>, input: string | Buffer, file: string): T {
  let json: unknown;
  try {
    json = JSON.parse(input.toString());
  } catch (e) {
    throw invalid(`not valid JSON: ${(e as Error).message}`, { file });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalid(issue.message, { file, field: issue.path.join('.') });
  }
  return r.data;
}

export const parseImageManifest = (input: string | Buffer, file: string) => parseWith(ImageManifest, input, file);
export const parsePodManifest = (input: string | Buffer, file: string) => parseWith(PodManifest, input, file);
