import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End to end: each test spawns the command, which runs the suites in a vitest of its own on real loop devices.
import { agentYml, makeWorld, readReport, runCli as runCliIn, WORKSPACE, whyRun } from './certify-world.js';

const isRoot = process.getuid?.() === 0;
/** A whole certify run in a process of its own, vitest included: minutes on a loaded machine. */
const E2E_TIMEOUT_MS = 600_000;
let world: Awaited<ReturnType<typeof makeWorld>>;
let reports: string;

/** The commands' TMPDIR, where each run makes its work directory: theirs alone, whatever else runs here. */
let scratch: string;

beforeAll(async () => {
  world = await makeWorld();
  reports = await mkdtemp(join(tmpdir(), 'flockerjs-certify-reports-'));
  scratch = await mkdtemp(join(tmpdir(), 'flockerjs-certify-tmp-'));
});
afterAll(async () => {
  await world.remove();
  await rm(reports, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

/** Runs the command with its own TMPDIR (see {@link scratch}). */
const runCli = (args: readonly string[], options: Parameters<typeof runCliIn>[1]) =>
  runCliIn(args, { ...options, env: { TMPDIR: scratch } });

/**
 * Loop devices whose backing file lies under these tests' certify runs: leaks, if any after a run. Another
 * checkout's tests may be certifying on this machine at the same time; their devices are not ours.
 */
async function certifyLoopDevices(): Promise<string[]> {
  const { stdout } = await promisify(execFile)('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']);
  const list = stdout.trim() === '' ? [] : (JSON.parse(stdout).loopdevices as { 'back-file': string }[]);
  return list.map((device) => device['back-file']).filter((file) => file.startsWith(`${scratch}/`));
}

describe.skipIf(!isRoot)('flocker-certify, as root', () => {
  it('certifies the embedded loopback default end to end and writes reports that match the run', {
    timeout: E2E_TIMEOUT_MS,
  }, async () => {
    const dir = join(reports, 'default');
    const run = await runCli(['--report-dir', dir], { cwd: WORKSPACE });
    expect(run.code, await whyRun(run, dir)).toBe(0);
    expect(run.stdout).toContain('verdict:      CERTIFIED');
    expect(run.stdout).toMatch(
      /✓ acceptance › moves a filesystem with its data from node A to node B and back/,
    );
    expect(run.stdout).toMatch(/✓ cluster › files written on node A are read on node B after a move/);

    const report = await readReport(dir);
    expect(report).toMatchObject({
      verdict: 'certified',
      config: '(embedded loopback default)',
      backend: { name: 'loopback', package: '@flockerjs/driver-loopback', needsClusterId: false },
      sweep: { volumesRemoved: 0, errors: [] },
    });
    // As the tests reported them: every capability the contract names, loopback's profiles among them.
    expect(report.backend.capabilities).toMatchObject({
      profiles: true,
      cloudApi: false,
      startNode: false,
      resize: expect.any(Boolean),
    });
    expect(report.suites.map((s) => s.suite)).toEqual(['conformance', 'acceptance', 'cluster']);
    expect(report.suites.find((s) => s.suite === 'cluster')).toMatchObject({ failed: 0 });
    expect(report.suites.find((s) => s.suite === 'cluster')?.passed).toBeGreaterThanOrEqual(6);
    const passed = report.tests.filter((test) => test.state === 'passed').length;
    expect(passed).toBe(report.suites.reduce((sum, s) => sum + s.passed, 0));
    expect(report.tests.filter((test) => test.state === 'failed')).toEqual([]);

    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)?.length).toBe(report.tests.length);
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain(
      '# flocker-certify: loopback — ✅ certified',
    );

    const tree = await runCli(['logs', join(dir, 'run.log.jsonl')], { cwd: WORKSPACE });
    expect(tree.code).toBe(0);
    expect(tree.stdout).toMatch(/^acceptance:test {2}title=moves a filesystem.*✓ \d+ ms$/m);
    expect(tree.stdout).toMatch(/^[│ ]*[├└]── acceptance:mkfs/m);
    expect(await certifyLoopDevices()).toEqual([]);
  });

  it('loads and certifies a third-party backend package installed outside the workspace', {
    timeout: E2E_TIMEOUT_MS,
  }, async () => {
    const config = await agentYml(world.dir, 'acme.yml', { backend: 'acme-storage', root_path: '/unused' });
    const dir = join(reports, 'acme');
    // The conformance suite alone: loading is what this proves; a whole certification of a driver from outside
    // the workspace, agents included, is repo-checks' own-repository test.
    const run = await runCli(['--config', config, '--report-dir', dir, '--json', '--only', 'conformance'], {
      cwd: world.dir,
    });
    expect(run.code, await whyRun(run, dir)).toBe(0);
    // --json: the report on stdout, progress on stderr.
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'certified', backend: { name: 'acme' } });
    expect(run.stderr).toContain('✓ conformance › listVolumes() of a fresh API is empty');
    expect((await readReport(dir)).backend).toMatchObject({
      name: 'acme',
      package: 'acme-storage',
      version: '1.2.3',
    });
  });

  it('fails a broken backend with exit code 1, naming the tests that caught it', {
    timeout: E2E_TIMEOUT_MS,
  }, async () => {
    const config = await agentYml(world.dir, 'broken.yml', { backend: 'acme-broken' });
    const dir = join(reports, 'broken');
    const run = await runCli(['--config', config, '--report-dir', dir, '--only', 'conformance'], {
      cwd: world.dir,
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('✗ conformance › destroyVolume(unknown id) rejects with UNKNOWN_VOLUME');
    // What an assertion on the exit code shows first, the only line CI's summary keeps: a failed case, its error.
    const why = (await whyRun(run, dir)).split('\n');
    expect(why[0]).toMatch(/^conformance › .+: \w*Error: \S/);
    expect(why).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^conformance › destroyVolume\(unknown id\) rejects with UNKNOWN_VOLUME: \S/),
      ]),
    );
    expect(run.stdout).toContain('verdict:      FAILED');
    const report = await readReport(dir);
    expect(report.verdict).toBe('failed');
    expect(report.suites.map((s) => s.suite)).toEqual(['conformance']);
    expect(report.tests.filter((t) => t.state === 'failed').map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'destroyVolume(unknown id) rejects with UNKNOWN_VOLUME',
        'detachVolume(unknown id) rejects with UNKNOWN_VOLUME',
      ]),
    );
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain('## Failed');
    expect(await certifyLoopDevices()).toEqual([]);
  });

  it('runs only the tests --grep names', { timeout: E2E_TIMEOUT_MS }, async () => {
    const dir = join(reports, 'grep');
    const run = await runCli(['--report-dir', dir, '--only', 'conformance', '--grep', 'getDevicePath'], {
      cwd: WORKSPACE,
    });
    expect(run.code, await whyRun(run, dir)).toBe(0);
    const ran = (await readReport(dir)).tests.filter((t) => t.state !== 'skipped').map((t) => t.name);
    expect(ran.length).toBeGreaterThan(3);
    for (const name of ran) expect(name).toContain('getDevicePath');
    // The calls the tests made, per contract member, in report.json and report.md.
    const report = await readReport(dir);
    const row = report.methods.find((r) => r.method === 'getDevicePath');
    expect(row?.calls).toBeGreaterThan(0);
    expect(row?.p50Ms).toBeLessThanOrEqual(row?.p95Ms ?? 0);
    expect(row?.p95Ms).toBeLessThanOrEqual(row?.maxMs ?? 0);
    expect(report.methods.map((r) => r.method)).toEqual(
      expect.arrayContaining(['attachVolume', 'createVolume']),
    );
    const markdown = await readFile(join(dir, 'report.md'), 'utf8');
    expect(markdown).toContain('| method | calls | p50 | p95 | max | errors | backend API calls |');
    expect(markdown).toMatch(new RegExp(`^\\| getDevicePath \\| ${row?.calls} \\| `, 'm'));
  });

  it('on Ctrl-C finishes the running test and its cleanup, sweeps, reports "cancelled" and exits 130', {
    timeout: E2E_TIMEOUT_MS,
  }, async () => {
    const dir = join(reports, 'interrupted');
    let sent = false;
    const run = await runCli(['--report-dir', dir], {
      cwd: WORKSPACE,
      onStdout: (output, child) => {
        if (!sent && (output.match(/✓/g)?.length ?? 0) >= 5) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('interrupted; finishing the current test and its cleanup');
    const report = await readReport(dir);
    expect(report.verdict).toBe('cancelled');
    // The tests it never ran are reported as such, not passed.
    expect(report.tests.filter((t) => t.note?.includes('aborted')).length).toBeGreaterThan(3);
    expect(await certifyLoopDevices()).toEqual([]);
  });

  it('sweep lists, then removes, what a run left; refuses without --force where there are no cluster ids', {
    timeout: E2E_TIMEOUT_MS,
  }, async () => {
    const root = join(world.dir, 'sweep-root');
    const config = await agentYml(world.dir, 'sweep.yml', {
      backend: 'loopback',
      root_path: root,
      compute_instance_id: 'node-s',
    });
    const { LoopbackDriver } = (await import(
      join(world.dir, 'node_modules/@flockerjs/driver-loopback/dist/index.js')
    )) as {
      LoopbackDriver: { open(config: object): Promise<import('@flockerjs/core-interface').IBlockDeviceAPI> };
    };
    const api = await LoopbackDriver.open({
      root_path: root,
      compute_instance_id: 'node-s',
      allocation_unit: 1 << 20,
    });
    const left = await api.createVolume('00000000-0000-4000-8000-000000000001', 16 << 20);
    await api.attachVolume(
      (await api.createVolume('00000000-0000-4000-8000-000000000002', 16 << 20)).blockDeviceId,
      'node-s',
    );

    const refused = await runCli(['sweep', '--config', config], { cwd: world.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('has no cluster ids');

    const dry = await runCli(['sweep', '--config', config, '--force', '--dry-run'], { cwd: world.dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('2 volume(s) in backend loopback');
    expect(dry.stdout).toContain(
      `${left.blockDeviceId}  dataset ${left.datasetId}  16777216 bytes  unattached`,
    );
    expect(dry.stdout).toContain('attached to node-s');
    expect(await api.listVolumes()).toHaveLength(2);

    const swept = await runCli(['sweep', '--config', config, '--force'], { cwd: world.dir });
    expect(swept.code, swept.stderr).toBe(0);
    expect(swept.stdout).toContain('removed 2 volume(s)');
    expect(await api.listVolumes()).toEqual([]);
  });
});
