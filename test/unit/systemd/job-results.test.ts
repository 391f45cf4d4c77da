import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobResults } from '../../../src/systemd/job-results.js';

test('a result that overtakes the reply is kept, whatever else arrives meanwhile', async () => {
  const jobs = new JobResults();
  const result = jobs.run('start unit', 'a.service', async () => {
    jobs.removed('/job/7', 'done');
    for (let i = 0; i < 10_000; i++) jobs.removed(`/job/other-${i}`, 'done'); // other clients' jobs
    return '/job/7';
  });
  assert.equal(await result, 'done');
  assert.equal(jobs.kept, 0, 'nothing is kept once no call is in flight');
});

test('a result that comes after the reply resolves the wait', async () => {
  const jobs = new JobResults();
  const result = jobs.run('stop unit', 'a.service', async () => '/job/8');
  await new Promise((r) => setImmediate(r));
  jobs.removed('/job/8', 'canceled');
  assert.equal(await result, 'canceled');
});

test('results nobody can ask for are not kept', () => {
  const jobs = new JobResults();
  jobs.removed('/job/9', 'done');
  assert.equal(jobs.kept, 0);
});

test('a job without a result fails after the timeout, naming the unit and the job', async () => {
  const jobs = new JobResults(50);
  await assert.rejects(jobs.run('start transient unit', 'sprocket-x.service', async () => '/job/10'),
    (e: Error & { describe(): string }) => /^sprocket-x\.service: start transient unit: job \/job\/10 gave no result within 0\.05 s/.test(e.describe()));
});

test('a failed call keeps nothing behind', async () => {
  const jobs = new JobResults();
  const failing = jobs.run('start unit', 'a.service', async () => {
    jobs.removed('/job/11', 'done');
    throw new Error('refused');
  });
  await assert.rejects(failing, /refused/);
  assert.equal(jobs.kept, 0);
});
