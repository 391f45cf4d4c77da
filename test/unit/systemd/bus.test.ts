import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeSocketAddress } from '../../../src/systemd/bus.js';

describe('nodeSocketAddress', () => {
  it('opens unix:path= addresses with Node\'s socket (dbus-next\'s unix:socket=), every entry of a list', () => {
    assert.equal(nodeSocketAddress('unix:path=/run/dbus/system_bus_socket'), 'unix:socket=/run/dbus/system_bus_socket');
    assert.equal(nodeSocketAddress('unix:path=/a,guid=01;tcp:host=h,port=1;unix:path=/b'), 'unix:socket=/a,guid=01;tcp:host=h,port=1;unix:socket=/b');
  });
  it('leaves other transports and a path= inside another entry as they are', () => {
    assert.equal(nodeSocketAddress('unix:abstract=/tmp/dbus-x'), 'unix:abstract=/tmp/dbus-x');
    assert.equal(nodeSocketAddress('unixexec:path=/usr/bin/x'), 'unixexec:path=/usr/bin/x');
  });
});
