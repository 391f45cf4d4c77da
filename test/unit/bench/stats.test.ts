// The figures the benchmarks print: percentiles, flags, tables.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flags, median, p90, quantile, ratio, table } from '../../../bench/lib/stats.js';

describe('bench statistics', () => {
  it('takes percentiles by nearest rank, whatever the order of the samples', () => {
    const samples = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    assert.equal(median(samples), 5);
    assert.equal(p90(samples), 9);
    assert.equal(quantile(samples, 1), 10);
    assert.equal(quantile(samples, 0), 1);
    assert.equal(median([42]), 42);
    assert.ok(Number.isNaN(median([])));
    assert.deepEqual(samples, [10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 'the samples are not sorted in place');
  });

  it('reads numeric flags with defaults and refuses unknown ones', () => {
    assert.deepEqual(flags(['--n', '3', '--pods=20'], { n: 15, pods: 1000 }), { n: 3, pods: 20 });
    assert.deepEqual(flags([], { n: 15 }), { n: 15 });
    assert.throws(() => flags(['--count', '2'], { n: 15 }), /unknown flag --count/);
    assert.throws(() => flags(['--n', 'many'], { n: 15 }), /--n needs a number/);
  });

  it('prints tables with aligned columns and ratios', () => {
    assert.equal(table([['', 'ms'], ['floor', 5], ['pod', 120]]), '        ms\nfloor    5\npod    120');
    assert.equal(ratio(3, 2), '1.50x');
    assert.equal(ratio(1, 0), '-');
  });
});
