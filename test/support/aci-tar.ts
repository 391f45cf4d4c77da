// Builds small ACIs (an uncompressed tar: manifest + rootfs/) for tests that
// need an image but not a real root filesystem.
import tar from 'tar-stream';

export interface TestManifest {
  name: string;
  labels?: { name: string; value: string }[];
  dependencies?: { imageName: string; imageID?: string; labels?: { name: string; value: string }[] }[];
}

export async function buildAci(m: TestManifest, files: Record<string, string> = {}): Promise<Buffer> {
  const pack = tar.pack();
  const manifest = { acKind: 'ImageManifest', acVersion: '0.8.11', ...m };
  pack.entry({ name: 'manifest' }, JSON.stringify(manifest));
  pack.entry({ name: 'rootfs', type: 'directory' });
  for (const [name, body] of Object.entries(files)) pack.entry({ name: `rootfs/${name}` }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
