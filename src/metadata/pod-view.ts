// What the service reads of a pod: the reified pod manifest as stored
// (DIR/pods/<uuid>/pod), served byte for byte, and the few fields the
// endpoints pick from it. Annotations are taken as the file has them, so a
// null stays null and [] stays [].
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { Annotation } from '../spec/index.js';

/** Annotations as a manifest may hold them: a list, null, or absent. */
export const AnnotationList = z.array(Annotation).nullable().optional();

/** The fields of the pod manifest that the endpoints need; the rest is kept but not looked at. */
export const ServedPod = z.looseObject({
  apps: z.array(z.looseObject({ name: z.string(), image: z.looseObject({ id: z.string() }), annotations: AnnotationList })),
  annotations: AnnotationList,
});
export type ServedPod = z.infer<typeof ServedPod>;
export type ServedApp = ServedPod['apps'][number];
export type AnnotationList = z.infer<typeof AnnotationList>;

export interface PodView {
  /** The manifest file's bytes. */
  raw: Buffer;
  pod: ServedPod;
}

/** Reads the pod's manifest; throws when it is missing or not a pod manifest (the service answers 500). */
export async function readPodView(stateDir: string, uuid: string): Promise<PodView> {
  const raw = await fs.readFile(path.join(stateDir, 'pods', uuid, 'pod'));
  return { raw, pod: ServedPod.parse(JSON.parse(raw.toString('utf8'))) };
}

/** Annotations as served: as the manifest has them (null stays null), [] when absent. */
export const asServed = (a: AnnotationList) => (a === undefined ? [] : a);

/**
 * The annotations of an app: the image's, with the pod app's annotations
 * replacing those of the same name in place and the others appended. When
 * the pod app adds none, the image's are returned as they are (absent: []).
 */
export function appAnnotations(image: AnnotationList, app: AnnotationList): Annotation[] | null {
  if (!app || app.length === 0) return asServed(image);
  const merged = [...(image ?? [])];
  for (const a of app) {
    const i = merged.findIndex((m) => m.name === a.name);
    if (i >= 0) merged[i] = a;
    else merged.push(a);
  }
  return merged;
}
