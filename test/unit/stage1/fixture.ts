// A minimal valid plan for the stage1 unit tests, as plain JSON input.
const uuid = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
export const basePlan = () => ({
  uuid,
  machine: `sprocket-${uuid}`,
  unit: `sprocket-${uuid}.service`,
  podDir: `/var/lib/sprocket/pods/${uuid}`,
  stage1Root: `/var/lib/sprocket/pods/${uuid}/stage1`,
  apps: [{ name: 'web', imageId: 'sha512-x', tree: '/trees/web', exec: ['/bin/web'], uid: 0, gid: 0, environment: [] }],
});
