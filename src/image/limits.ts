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
  /**
   * Largest ratio of uncompressed to compressed bytes read so far, once past
   * ratioFloor (decompression bombs: gzip reaches about 1000:1 on zeros,
   * images are rarely beyond 20:1 overall).
   */
  maxCompressionRatio: z.number().positive(),
  /** Uncompressed bytes below which any ratio is accepted (small images of zeros). */
  ratioFloor: z.number().int().nonnegative(),
  /** Free bytes an extraction leaves on the store's filesystem at least: it stops before the disk fills. */
  minFreeSpace: z.number().int().nonnegative(),
});
export type ImageLimits = z.infer<typeof ImageLimits>;

export const DEFAULT_MAX_IMAGE_SIZE = 8 * 1024 ** 3;
export const DEFAULT_MAX_COMPRESSION_RATIO = 100;
export const DEFAULT_RATIO_FLOOR = 256 * 1024 ** 2;
export const DEFAULT_MIN_FREE_SPACE = 256 * 1024 ** 2;

/** Parses sizes like 512, 64K, 200M, 8G (powers of 1024). */
export function parseSize(text: string, field: string): number {
  const m = /^(\d+)([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) throw usage(`not a size: ${JSON.stringify(text)}`, { field, hint: 'use a number of bytes with an optional K, M, G or T suffix' });
  const power = ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  return Number(m[1]) * 1024 ** power;
}

function ratioFromEnv(text: string): number {
  const n = Number(text);
  if (!(n >= 1)) throw usage(`not a ratio of at least 1: ${JSON.stringify(text)}`, { field: 'SPROCKET_MAX_COMPRESSION_RATIO' });
  return n;
}

/**
 * The limits in force: SPROCKET_MAX_IMAGE_SIZE, SPROCKET_MAX_COMPRESSION_RATIO
 * and SPROCKET_MIN_FREE_SPACE override the defaults.
 */
export function imageLimits(overrides: Partial<ImageLimits> = {}): ImageLimits {
  const env = process.env;
  return ImageLimits.parse({
    maxImageSize: env.SPROCKET_MAX_IMAGE_SIZE ? parseSize(env.SPROCKET_MAX_IMAGE_SIZE, 'SPROCKET_MAX_IMAGE_SIZE') : DEFAULT_MAX_IMAGE_SIZE,
    maxManifestSize: 1024 * 1024,
    maxEntries: 1_000_000,
    maxCompressionRatio: env.SPROCKET_MAX_COMPRESSION_RATIO ? ratioFromEnv(env.SPROCKET_MAX_COMPRESSION_RATIO) : DEFAULT_MAX_COMPRESSION_RATIO,
    ratioFloor: DEFAULT_RATIO_FLOOR,
    minFreeSpace: env.SPROCKET_MIN_FREE_SPACE ? parseSize(env.SPROCKET_MIN_FREE_SPACE, 'SPROCKET_MIN_FREE_SPACE') : DEFAULT_MIN_FREE_SPACE,
    ...overrides,
  });
}
