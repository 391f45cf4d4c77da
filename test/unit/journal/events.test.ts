import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writePodEvent, type JournalFields } from '../../../src/journal/events.js';
import { journalctlArgs } from '../../../src/journal/read.js';
import { SprocketError } from '../../../src/errors.js';

const POD = '6733c0fb-a1a1-4c0f-9a0c-5f5c0c2a9f11';

describe('writePodEvent', () => {
  const record = () => {
    const written: [string, string, JournalFields][] = [];
    return { written, sink: (p: 'info' | 'notice', m: string, f: JournalFields) => void written.push([p, m, f]) };
  };

  it('writes the pod, the event, the app and its exit status as fields', () => {
    const { written, sink } = record();
    writePodEvent({ pod: POD, event: 'app-exited', app: 'web', exitStatus: 3 }, sink);
    writePodEvent({ pod: POD, event: 'started', message: 'pod started' }, sink);
    assert.deepEqual(written, [
      ['notice', `pod ${POD}: app web exited with status 3`, { SYSLOG_IDENTIFIER: 'sprocket', SPROCKET_POD: POD, SPROCKET_EVENT: 'app-exited', SPROCKET_APP: 'web', SPROCKET_EXIT_STATUS: '3' }],
      ['info', 'pod started', { SYSLOG_IDENTIFIER: 'sprocket', SPROCKET_POD: POD, SPROCKET_EVENT: 'started' }],
    ]);
  });

  it('refuses an event that is not a pod lifecycle event', () => {
    assert.throws(() => writePodEvent({ pod: 'nope', event: 'started' }, () => {}));
    assert.throws(() => writePodEvent({ pod: POD, event: 'exploded' as never }, () => {}));
  });
});

describe('journalctlArgs', () => {
  it('turns a query into matches and options', () => {
    assert.deepEqual(journalctlArgs({ unit: `sprocket-${POD}.service`, identifier: 'web', since: '-5min', lines: 10, fields: { PRIORITY: '3' } }, true), [
      '--no-pager', '-o', 'json', '--since=-5min', '--lines=10', '--follow',
      'PRIORITY=3', `_SYSTEMD_UNIT=sprocket-${POD}.service`, 'SYSLOG_IDENTIFIER=web',
    ]);
  });

  it('joins alternative groups with +, each with the common matches; reads on after a cursor', () => {
    assert.deepEqual(journalctlArgs({ any: [{ _SYSTEMD_UNIT: 'a.service' }, { SPROCKET_POD: POD, SYSLOG_IDENTIFIER: 'sprocket' }], fields: { PRIORITY: '3' }, afterCursor: 's=1;i=2' }, true), [
      '--no-pager', '-o', 'json', '--after-cursor=s=1;i=2', '--no-tail', '--follow',
      '_SYSTEMD_UNIT=a.service', 'PRIORITY=3', '+', `SPROCKET_POD=${POD}`, 'SYSLOG_IDENTIFIER=sprocket', 'PRIORITY=3',
    ]);
    assert.throws(() => journalctlArgs({ any: [{ A: 'x\ny' }] }), (e) => e instanceof SprocketError && e.field === 'A');
  });

  it('names the field of a bad query', () => {
    assert.throws(() => journalctlArgs({ fields: { 'lower-case': 'x' } }), (e) => e instanceof SprocketError && e.field === 'fields.lower-case');
    assert.throws(() => journalctlArgs({ identifier: 'a\nb' }), (e) => e instanceof SprocketError && e.field === 'SYSLOG_IDENTIFIER');
    assert.throws(() => journalctlArgs({ lines: 0 }), (e) => e instanceof SprocketError && e.field === 'lines');
  });
});
