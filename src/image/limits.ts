// Bounds that keep a hostile ACI from exhausting memory or disk.
import { z } from 'zod';
import { usage } from '../errors.js';

export const ImageLimits = z.object({
  /** Largest uncompressed tar stream accepted (decompression bombs). */
  maxImageSize: z.number().int().positive(),
  /** Largest manifest accepted; it is held in memory. */
  maxManifestSize: z.number().int().positive(),
  /** Most tar entries accepted (floods of empty files). */
  maxEntries: z.number().int().positive(),
});
export type ImageLimits = z.infer<typeof ImageLimits>;

export const DEFAULT_MAX_IMAGE_SIZE = 8 * 1024 ** 3;

/** Parses sizes like 512, 64K, 200M, 8G (powers of 1024). */
export function parseSize(text: string, field: string): number {
  const m = /^(\d+)([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) throw usage(`not a size: ${JSON.stringify(text)}`, { field, hint: 'use a number of bytes with an optional K, M, G or T suffix' });
  const power = ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  return Number(m[1]) * 1024 ** power;
}

/** The limits in force: SPROCKET_MAX_IMAGE_SIZE overrides the default bound. */
export function imageLimits(overrides: Partial<ImageLimits> = {}): ImageLimits {
  const env = process.env.SPROCKET_MAX_IMAGE_SIZE;
  return ImageLimits.parse({
    maxImageSize: env ? parseSize(env, 'SPROCKET_MAX_IMAGE_SIZE') : DEFAULT_MAX_IMAGE_SIZE,
    maxManifestSize: 1024 * 1024,
    maxEntries: 1_000_000,
    ...overrides,
  });
}
