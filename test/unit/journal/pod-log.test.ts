import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { podLogOrigin, type PodLogSource } from '../../../src/journal/pod-log.js';

const POD = '6733c0fb-a1a1-4c0f-9a0c-5f5c0c2a9f11';
const OTHER = '0b8f6a55-3c2d-4e1f-8a9b-7c6d5e4f3a21';
const unit = (uuid: string) => `sprocket-${uuid}.service`;
const pod: PodLogSource = { uuid: POD, unit: unit(POD), apps: ['web', 'db'] };
const inPod = (uuid: string, tail: string) => ({ _SYSTEMD_UNIT: unit(uuid), _SYSTEMD_CGROUP: `/machine.slice/${unit(uuid)}/${tail}`, SPROCKET_POD: uuid });
const copier = (uuid: string, app: string) => ({ ...inPod(uuid, 'payload/system.slice/app-log.service'), SYSLOG_IDENTIFIER: app, _TRANSPORT: 'stdout' });
const perAppCopier = (uuid: string, app: string) => inPod(uuid, `payload/system.slice/system-app\\x2dlog.slice/app-log@${app}.service`);
const event = { SPROCKET_POD: POD, SYSLOG_IDENTIFIER: 'sprocket', SPROCKET_EVENT: 'stopped', _TRANSPORT: 'journal', _UID: '0', _SYSTEMD_CGROUP: '/system.slice/run-u4.service', _SYSTEMD_UNIT: 'run-u4.service' };
const origin = (e: Record<string, string>, p = pod) => {
  const l = podLogOrigin(e, p);
  return l && (l.origin === 'app' ? `app ${l.app}` : l.origin);
};

describe('podLogOrigin', () => {
  it("places an app's line by the cgroup journald saw: the pod's copier (which names the app) or the app's own unit in the pod's payload", () => {
    assert.equal(origin(copier(POD, 'db')), 'app db');
    assert.equal(origin({ ...inPod(POD, 'payload/system.slice/db.service'), SYSLOG_IDENTIFIER: 'anything' }), 'app db');
    // The copier's streams only, of an app of the pod: not its own messages, nor another name.
    assert.equal(origin({ ...copier(POD, 'db'), _TRANSPORT: 'journal' }), 'stage1');
    assert.equal(origin(copier(POD, 'sprocket_app-log')), 'stage1');
    assert.equal(origin(copier(POD, 'cache')), 'stage1');
    // A pod of an earlier sprocket: a copier per app, named by its cgroup.
    assert.equal(origin({ ...perAppCopier(POD, 'web'), SYSLOG_IDENTIFIER: 'db' }), 'app web');
    // A removed pod (apps unknown): its copiers' lines only.
    assert.equal(origin(copier(POD, 'web'), { uuid: POD, unit: unit(POD) }), 'app web');
    assert.equal(origin(copier(POD, 'sprocket_app-log'), { uuid: POD, unit: unit(POD) }), 'stage1');
    assert.equal(origin(perAppCopier(POD, 'web'), { uuid: POD, unit: unit(POD) }), 'app web');
    assert.equal(origin(inPod(POD, 'payload/system.slice/db.service'), { uuid: POD, unit: unit(POD) }), 'stage1');
  });

  it("puts the console and the pod's other units under stage1", () => {
    assert.equal(origin({ ...inPod(POD, 'supervisor'), SYSLOG_IDENTIFIER: 'systemd-nspawn', MESSAGE: 'Welcome to sprocket stage1!' }), 'stage1');
    assert.equal(origin(inPod(POD, 'payload/system.slice/app-stopped@web.service')), 'stage1');
    assert.equal(origin(inPod(POD, 'payload/init.scope')), 'stage1');
  });

  it("refuses another pod's lines, whatever fields they claim", () => {
    assert.equal(origin({ ...copier(OTHER, 'web'), SPROCKET_POD: POD, SYSLOG_IDENTIFIER: 'web' }), undefined);
    assert.equal(origin({ ...inPod(OTHER, 'payload/system.slice/web.service'), SPROCKET_POD: POD, _SYSTEMD_UNIT: unit(POD) }), undefined);
  });

  it('takes an event from root outside every pod only', () => {
    assert.equal(origin(event), 'event');
    // Forged from an app of another pod, of this pod, or from a machine.
    assert.equal(origin({ ...event, _SYSTEMD_CGROUP: `/machine.slice/${unit(OTHER)}/payload/system.slice/web.service`, _SYSTEMD_UNIT: unit(OTHER) }), undefined);
    assert.equal(origin({ ...event, _SYSTEMD_CGROUP: `/machine.slice/${unit(POD)}/payload/system.slice/web.service`, _SYSTEMD_UNIT: unit(POD) }), 'app web');
    assert.equal(origin({ ...event, _SYSTEMD_CGROUP: '/machine.slice/systemd-nspawn@x.service/payload/system.slice/a.service' }), undefined);
    // Not root, not the native protocol, no cgroup (the writer was gone), or another pod's.
    assert.equal(origin({ ...event, _UID: '1000' }), undefined);
    assert.equal(origin({ ...event, _TRANSPORT: 'stdout' }), undefined);
    const { _SYSTEMD_CGROUP: _, ...noCgroup } = event;
    assert.equal(origin(noCgroup), undefined);
    assert.equal(origin({ ...event, SPROCKET_POD: OTHER }), undefined);
    assert.equal(origin({ ...event, SYSLOG_IDENTIFIER: 'web' }), undefined);
  });

  it("takes a health event from the pod's keeper of that app's health only", () => {
    const keeper = (uuid: string, app: string) => inPod(uuid, `payload/system.slice/system-app\\x2dhealth.slice/app-health@${app}.service`);
    const health = { ...event, SPROCKET_EVENT: 'health', SPROCKET_APP: 'web', SPROCKET_HEALTH: 'unhealthy' };
    assert.equal(origin({ ...health, ...keeper(POD, 'web') }), 'event');
    // From the app itself, its check, another app's keeper, another pod's keeper or a keeper of an app the pod has not.
    assert.equal(origin({ ...health, ...inPod(POD, 'payload/system.slice/web.service') }), 'app web');
    assert.equal(origin({ ...health, ...inPod(POD, 'payload/system.slice/system-app\\x2dcheck.slice/app-check@web.service') }), 'stage1');
    assert.equal(origin({ ...health, ...keeper(POD, 'db') }), 'stage1');
    assert.equal(origin({ ...health, ...keeper(OTHER, 'web') }), undefined);
    assert.equal(origin({ ...health, SPROCKET_APP: 'cache', ...keeper(POD, 'cache') }), 'stage1');
    // Not root or not the native protocol: the keeper's unit, but not its event.
    assert.equal(origin({ ...health, ...keeper(POD, 'web'), _UID: '33' }), 'stage1');
    // A pod in a user namespace: its root, the base of its range, writes them; the host's root does not, inside it.
    const inRange = (e: Record<string, string>) => podLogOrigin(e, { uuid: POD, unit: `sprocket-${POD}.service`, apps: ['web'], root: 0x70010000 })?.origin;
    assert.equal(inRange({ ...health, ...keeper(POD, 'web'), _UID: String(0x70010000) }), 'event');
    assert.equal(inRange({ ...health, ...keeper(POD, 'web') }), 'stage1');
    assert.equal(origin({ ...health, ...keeper(POD, 'web'), _TRANSPORT: 'stdout' }), 'stage1');
  });

  it("takes the log copier's event from the pod's copier unit only", () => {
    const ended = { ...event, SPROCKET_EVENT: 'log-copier', SPROCKET_LOG_COPIER_ENDS: '1' };
    const copierUnit = (uuid: string) => inPod(uuid, 'payload/system.slice/app-log.service');
    assert.equal(origin({ ...ended, ...copierUnit(POD) }), 'event');
    // From an app, another pod's copier; another event or not root from the copier's unit.
    assert.equal(origin({ ...ended, ...inPod(POD, 'payload/system.slice/web.service') }), 'app web');
    assert.equal(origin({ ...ended, ...copierUnit(OTHER) }), undefined);
    assert.equal(origin({ ...ended, ...copierUnit(POD), SPROCKET_EVENT: 'stopped' }), 'stage1');
    assert.equal(origin({ ...ended, ...copierUnit(POD), _UID: '33' }), 'stage1');
  });
});
