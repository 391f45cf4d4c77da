// Runs one call of src/systemd against the systemd it runs under, for e2e
// tests that drive it inside a test host through host.exec:
//   node dist/test/host/systemd-call.js OP UNIT [JSON...]
// prints the result as JSON (64-bit integers as numbers, infinity as
// "infinity"); a SprocketError goes to stderr as `kind: message`, exit 254.
import { SprocketError } from '../../src/errors.js';
import { connectSystemd } from '../../src/systemd/manager.js';
import type { UnitInterface } from '../../src/systemd/systemd.js';

const [op, unit, ...args] = process.argv.slice(2);
const json = (i: number) => JSON.parse(args[i] ?? 'null');

const systemd = await connectSystemd();
try {
  const result = await (async () => {
    switch (op) {
      case 'start':
        return systemd.startTransientUnit(unit!, json(0), json(1) ?? []);
      case 'stop':
        return systemd.stopUnit(unit!);
      case 'kill':
        return systemd.killUnit(unit!, json(0), json(1) ?? 'all');
      case 'reset-failed':
        return systemd.resetFailedUnit(unit!);
      case 'state':
        return systemd.getUnitState(unit!);
      case 'active-state':
        return systemd.getActiveState(unit!);
      case 'properties':
        return systemd.getUnitProperties(unit!, (json(0) ?? 'Unit') as UnitInterface);
      default:
        throw new Error(`unknown operation ${op}`);
    }
  })();
  const text = JSON.stringify(result ?? null, (_k, v) => (typeof v === 'bigint' ? Number(v) : v === Infinity ? 'infinity' : v));
  process.stdout.write(`${text}\n`);
} catch (err) {
  if (!(err instanceof SprocketError)) throw err;
  process.stderr.write(`${err.kind}: ${err.describe()}\n`);
  process.exitCode = 254;
} finally {
  systemd.close();
}
