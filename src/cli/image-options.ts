// What the image commands share: opening the store of --dir with the size bound.
import { Command, Option } from 'commander';
import { ImageStore } from '../image/store.js';
import { parseSize } from '../image/limits.js';
import { globalOptions } from './options.js';

export const maxImageSizeOption = () =>
  new Option('--max-image-size <size>', 'refuse ACIs whose uncompressed tar is larger (e.g. 512M, 8G; default 8G or $SPROCKET_MAX_IMAGE_SIZE)');

/** Size bound given with --max-image-size, if any. */
export function limitsFrom(cmd: Command): { maxImageSize?: number } {
  const text = cmd.opts().maxImageSize as string | undefined;
  return text ? { maxImageSize: parseSize(text, '--max-image-size') } : {};
}

export const openStore = (cmd: Command) => ImageStore.open(globalOptions(cmd).dir, { limits: limitsFrom(cmd) });
