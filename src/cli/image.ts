// `sprocket image ...`: build, check and inspect ACIs; manage the image store.
import { Command } from 'commander';
import * as build from './image-build.js';
import * as validate from './image-validate.js';
import * as catManifest from './image-cat-manifest.js';
import * as patchManifest from './image-patch-manifest.js';
import * as importImage from './image-import.js';
import * as list from './image-list.js';
import * as rm from './image-rm.js';
import * as exportImage from './image-export.js';
import * as extract from './image-extract.js';
import * as render from './image-render.js';
import * as gc from './image-gc.js';
import * as verify from './image-verify.js';

export function register(program: Command): void {
  const image = program.command('image').description('build, check and manage App Container Images (ACIs)');
  for (const sub of [build, validate, catManifest, patchManifest, importImage, list, rm, exportImage, extract, render, gc, verify]) sub.register(image);
}
