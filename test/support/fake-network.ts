// PodNetworking for unit tests: records what the pod operations ask of the
// pods' networks; no namespace, no CNI. A plan's ports listed in `taken`
// are refused as the real check refuses a taken host port.
import { SprocketError } from '../../src/errors.js';
import type { PodNetworking } from '../../src/pod/context.js';
import type { PodPlan } from '../../stage1-nspawn/plan.js';

export class FakeNetworking implements PodNetworking {
  /** What was asked, in order: "check <uuid>", "set-up <uuid>", "tear-down <podDir>". */
  readonly calls: string[] = [];
  /** Host ports refused by checkPorts. */
  readonly taken = new Set<number>();
  /** Makes setUp fail. */
  failSetUp = false;

  async check(plan: PodPlan): Promise<void> {
    this.calls.push(`check ${plan.uuid}`);
  }

  async checkPorts(plan: PodPlan): Promise<void> {
    const p = plan.ports.find((q) => this.taken.has(q.hostPort));
    if (p) throw new SprocketError('conflict', `host port ${p.hostPort} is in use`, { field: '--port' });
  }

  async setUp(plan: PodPlan): Promise<void> {
    this.calls.push(`set-up ${plan.uuid}`);
    if (this.failSetUp) throw new SprocketError('runtime', 'network default: CNI ADD failed');
  }

  async tearDown(podDir: string): Promise<void> {
    this.calls.push(`tear-down ${podDir}`);
  }

  async tearDownCommand(uuid: string): Promise<string[]> {
    return ['/bin/true', 'network-teardown', uuid];
  }
}
