// What the image commands share: opening the store of --dir with the size bound.
import { Command, Option } from 'commander';
import { globalOptions } from './options.js';

export const maxImageSizeOption = () =>
  new Option('--max-image-size <size>', 'refuse ACIs whose uncompressed tar is larger (e.g. 512M, 8G; default 8G or $SPROCKET_MAX_IMAGE_SIZE)');

/** Size bound given with --max-image-size, if any. */
export async function limitsFrom(cmd: Command): Promise<{ maxImageSize?: number }> {
  const text = cmd.opts().maxImageSize as string | undefined;
  if (!text) return {};
  const { parseSize } = await import('../image/limits.js');
  return { maxImageSize: parseSize(text, '--max-image-size') };
}

export async function openStore(cmd: Command) {
  const { ImageStore } = await import('../image/store.js');
  return ImageStore.open(globalOptions(cmd).dir, { limits: await limitsFrom(cmd) });
}
