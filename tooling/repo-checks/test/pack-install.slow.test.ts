// The test that proves "npm install of individual drivers" works: every published package is packed with
// pnpm (which turns workspace:^ into real ranges), installed with plain npm into an empty directory outside the
// workspace, and used from there: the loopback driver through an agent.yml, on real loop devices.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { startCloudEmulator } from '@flockerjs/cloud-emulator';
import { publint } from 'publint';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expandGlobs,
  type Manifest,
  parseOwnRepoGuide,
  readPublishedPackages,
  workspaceRoot,
} from '../src/index.js';

const run = promisify(execFile);
const root = workspaceRoot(import.meta.dirname);
const isRoot = process.getuid?.() === 0;
const published = await readPublishedPackages(root);
const versions = new Map(published.map((pkg) => [pkg.manifest.name, pkg.manifest.version ?? '']));
const work = await mkdtemp(join(tmpdir(), 'flockerjs-pack-'));
/**
 * Each package's tarball, settled by its pack test. The installs run side by side with the packs, so an install
 * waits for the tarballs it needs instead of finding them missing.
 */
const tarballs = new Map<string, { promise: Promise<string>; settle(file: string | Error): void }>(
  published.map((pkg) => {
    let settle: (file: string | Error) => void = () => undefined;
    const promise = new Promise<string>((resolve, reject) => {
      settle = (file) => (file instanceof Error ? reject(file) : resolve(file));
    });
    // An install that never asks for this tarball must not see an unhandled rejection.
    promise.catch(() => undefined);
    return [pkg.manifest.name, { promise, settle }];
  }),
);

afterAll(async () => {
  // Whatever a failed lifecycle left attached under the work directory is detached before it is removed.
  const { stdout } = await run('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']).catch(() => ({
    stdout: '',
  }));
  const devices =
    stdout.trim() === '' ? [] : (JSON.parse(stdout).loopdevices as { name: string; 'back-file': string }[]);
  for (const device of devices) {
    if (device['back-file']?.startsWith(`${work}/`)) await run('losetup', ['--detach', device.name]);
  }
  await rm(work, { recursive: true, force: true });
});

/** The tarball of a published package, once its pack test made it. */
function tarballOf(name: string): Promise<string> {
  const tarball = tarballs.get(name);
  if (tarball === undefined) throw new Error(`${name} is not a published package of this workspace`);
  return tarball.promise;
}

/** The internal packages `name` needs at run time, itself included: what must be installed together. */
function withInternalDependencies(name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const manifest = published.find((pkg) => pkg.manifest.name === name)?.manifest;
  const deps = Object.keys({
    ...(manifest?.dependencies as object),
    ...(manifest?.peerDependencies as object),
  });
  return [
    name,
    ...deps.filter((dep) => versions.has(dep)).flatMap((dep) => withInternalDependencies(dep, seen)),
  ];
}

const installs = new Map<string, Promise<string>>();

/**
 * npm-installs the tarballs of `names` (and their internal dependencies) plus `extra` into a new directory named
 * `label`; tests that ask for the same label share the one install (it is what costs).
 */
function npmInstall(label: string, names: readonly string[], extra: readonly string[] = []): Promise<string> {
  let installed = installs.get(label);
  if (installed === undefined) {
    installed = install(join(work, label), names, extra);
    installs.set(label, installed);
  }
  return installed;
}

async function install(dir: string, names: readonly string[], extra: readonly string[]): Promise<string> {
  await mkdir(dir);
  await writeFile(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  const files = await Promise.all(
    [...new Set(names.flatMap((name) => withInternalDependencies(name)))].map(tarballOf),
  );
  await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...files, ...extra],
    {
      cwd: dir,
    },
  );
  return dir;
}

// Each package packs in its own folder: side by side.
describe.concurrent.each(published.map((pkg) => [pkg.manifest.name, pkg] as const))(
  'pnpm pack %s',
  (name, pkg) => {
    it('packs dist, README and LICENSE, with internal dependencies as real ranges', async ({ expect }) => {
      const packed = await run('pnpm', ['pack', '--pack-destination', work], {
        cwd: join(root, pkg.dir),
      }).catch((error: Error) => error);
      const stdout = packed instanceof Error ? '' : packed.stdout;
      const file = stdout.trim().split('\n').at(-1) ?? '';
      const made = file !== '' && existsSync(file);
      tarballs
        .get(name)
        ?.settle(made ? file : new Error(`pnpm pack ${name} made no tarball: ${String(packed)}`));
      expect(made, `pnpm pack printed ${stdout}`).toBe(true);
      const listing = (await run('tar', ['-tzf', file])).stdout.split('\n');
      expect(listing).toEqual(
        expect.arrayContaining([
          'package/LICENSE',
          'package/README.md',
          'package/dist/index.js',
          'package/dist/index.d.ts',
        ]),
      );
      expect(listing.filter((entry) => /^package\/(src|test)\//.test(entry))).toEqual([]);
      // src is not shipped, so each source map carries its sources: stack traces and debuggers show TypeScript.
      const map = JSON.parse((await run('tar', ['-xOzf', file, 'package/dist/index.js.map'])).stdout) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sources).toEqual(['../src/index.ts']);
      expect(map.sourcesContent?.[0], 'sourcesContent of dist/index.js.map').toEqual(
        await readFile(join(root, pkg.dir, 'src/index.ts'), 'utf8'),
      );
      const manifest = JSON.parse(
        (await run('tar', ['-xOzf', file, 'package/package.json'])).stdout,
      ) as Manifest;
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
      for (const field of ['dependencies', 'peerDependencies'] as const) {
        for (const [dep, range] of Object.entries(
          (manifest[field] as Record<string, string> | undefined) ?? {},
        )) {
          if (!versions.has(dep)) continue;
          const declared = (pkg.manifest[field] as Record<string, string>)[dep] ?? '';
          // workspace:^ becomes ^<the version in the workspace>; workspace:^0 becomes ^0.
          const expected =
            declared === 'workspace:^' ? `^${versions.get(dep)}` : declared.replace('workspace:', '');
          expect(range, `${field}.${dep}`).toBe(expected);
        }
      }
    });

    // Style rule 2, on the very tarball npm would publish: publint and "are the types wrong" (ESM-only profile).
    it('publint --strict finds nothing in the tarball', async ({ expect }) => {
      // A copy that owns its whole buffer, which publint reads as the tarball.
      const tarball = new Uint8Array(await readFile(await tarballOf(name))).buffer;
      const { messages } = await publint({ pack: { tarball }, strict: true });
      expect(messages).toEqual([]);
    });

    // In this process, not one attw process per package: TypeScript loads once (a fifth of the CPU).
    it('attw --profile esm-only finds no problem in the tarball', async ({ expect }) => {
      const analysis = await checkPackage(
        createPackageFromTarballData(new Uint8Array(await readFile(await tarballOf(name)))),
      );
      expect(analysis.packageName).toBe(name);
      if (analysis.types === false) throw new Error(`attw finds no types in the tarball of ${name}`);
      expect(analysis.types.kind).toBe('included');
      // The esm-only profile ignores what CommonJS and node10 resolution see; anything else is a real problem.
      const ignored: readonly string[] = ['node10', 'node16-cjs'];
      const real = analysis.problems.filter(
        (problem) => !('resolutionKind' in problem && ignored.includes(problem.resolutionKind)),
      );
      expect(real).toEqual([]);
    });
  },
);

// The installs are independent (one directory each) and mostly wait on npm: they run side by side. Each test's
// clock runs while the others' installs take the CPU: on two cores beside a second CI run, 170 s alone became
// over 300 s, so their limit is the generator test's (also npm installs), not the default.
describe.concurrent('installed with npm outside the workspace', { timeout: 900_000 }, () => {
  it.skipIf(!published.some((pkg) => pkg.manifest.name === '@flockerjs/conformance'))(
    '@flockerjs/conformance installs with vitest and exports describeBlockDeviceAPI',
    async ({ expect }) => {
      const dir = await npmInstall('conformance', ['@flockerjs/conformance'], ['vitest@4.1.12']);
      const { stdout } = await run(
        'node',
        [
          '--input-type=module',
          '-e',
          "const m = await import('@flockerjs/conformance'); console.log(typeof m.describeBlockDeviceAPI)",
        ],
        { cwd: dir },
      );
      expect(stdout.trim()).toBe('function');
    },
  );

  it.skipIf(!versions.has('@flockerjs/cluster-ca'))(
    '@flockerjs/cluster-ca installs alone: its flocker-ca makes certificates that its loadCredentials accepts',
    async ({ expect }) => {
      const dir = await npmInstall('cluster-ca', ['@flockerjs/cluster-ca']);
      const bin = join(dir, 'node_modules', '.bin', 'flocker-ca');
      await run(bin, ['initialize', 'packed'], { cwd: dir });
      await run(bin, ['create-api-certificate', 'alice'], { cwd: dir });
      const script = `import { loadCredentials } from '@flockerjs/cluster-ca';
const { identity } = await loadCredentials(process.cwd(), { kind: 'user', userName: 'alice' });
console.log(JSON.stringify(identity));`;
      const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: dir });
      expect(JSON.parse(stdout)).toMatchObject({ kind: 'user', userName: 'alice' });
    },
  );

  it.skipIf(!versions.has('@flockerjs/control-service'))(
    '@flockerjs/control-service installs alone: flocker-control serves its API over mutual TLS and stops on SIGTERM',
    async ({ expect }) => {
      const dir = await npmInstall('control-service', ['@flockerjs/control-service']);
      const bin = (name: string) => join(dir, 'node_modules', '.bin', name);
      await run(bin('flocker-ca'), ['initialize', 'packed'], { cwd: dir });
      await run(bin('flocker-ca'), ['create-control-certificate', '127.0.0.1'], { cwd: dir });
      await rename(join(dir, 'control-127.0.0.1.crt'), join(dir, 'control-service.crt'));
      await rename(join(dir, 'control-127.0.0.1.key'), join(dir, 'control-service.key'));
      await run(bin('flocker-ca'), ['create-api-certificate', 'alice'], { cwd: dir });
      const args = ['--certificates-directory', dir, '--data-path', join(dir, 'data'), '--host', '127.0.0.1'];
      const control = spawn(bin('flocker-control'), [...args, '--port', '0', '--agent-port', '0']);
      const exited = new Promise((resolve) => control.once('exit', (code) => resolve(code)));
      try {
        const port = await new Promise<string>((resolve, reject) => {
          let out = '';
          control.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const match = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
            if (match?.[1] !== undefined) resolve(match[1]);
          });
          void exited.then((code) => reject(new Error(`flocker-control exited with ${code}`)));
        });
        const script = `import { loadCredentials } from '@flockerjs/cluster-ca';
import { ControlClient } from '@flockerjs/control-service';
const credentials = await loadCredentials(process.cwd(), { kind: 'user', userName: 'alice' });
const client = new ControlClient({ url: 'https://127.0.0.1:${port}', credentials });
console.log(JSON.stringify({ version: await client.version(), nodes: await client.nodes() }));
client.close();`;
        const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: dir });
        expect(JSON.parse(stdout)).toEqual({
          version: versions.get('@flockerjs/control-service'),
          nodes: [],
        });
      } finally {
        control.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
  );

  const drivers = published.filter((pkg) => pkg.dir.startsWith('packages/driver-'));
  it.for(drivers.map((pkg) => pkg.manifest.name))(
    '%s installs alone and loads through the backend loader',
    async (name, { expect }) => {
      const dir = await npmInstall(name.replace('@flockerjs/', ''), [name]);
      const script = `import { loadBackend } from '@flockerjs/core-interface';
const backend = await loadBackend(${JSON.stringify(name)}, { configDir: process.cwd() });
console.log(JSON.stringify({ name: backend.name, url: import.meta.resolve(${JSON.stringify(name)}) }));`;
      const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: dir });
      const loaded = JSON.parse(stdout) as { name: string; url: string };
      expect(loaded.url.startsWith(`file://${dir}/node_modules/`), loaded.url).toBe(true);
      expect(loaded.name).not.toBe('');
    },
  );

  it.skipIf(!isRoot)(
    '@flockerjs/driver-loopback: agent.yml → openBackend → create, attach, write/read, detach, destroy',
    async ({ expect }) => {
      const dir = await npmInstall('driver-loopback', ['@flockerjs/driver-loopback']);
      const volumes = join(dir, 'volumes');
      const result = await lifecycle(dir, '@flockerjs/driver-loopback', {
        backend: 'loopback',
        root_path: volumes,
        compute_instance_id: 'pack-test',
      });
      expect(result).toMatchObject({ backend: 'loopback', node: 'pack-test', attachedTo: 'pack-test' });
      expect(result.device).toMatch(/^\/dev\/loop\d+$/);
      const { stdout: left } = await run('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE']);
      expect(left.split('\n').filter((line) => line.includes(volumes))).toEqual([]);
    },
  );

  it.skipIf(!isRoot || !versions.has('@flockerjs/driver-ebs'))(
    '@flockerjs/driver-ebs: the same lifecycle against the EC2 emulator',
    async ({ expect }) => {
      const dir = await npmInstall('driver-ebs', ['@flockerjs/driver-ebs']);
      const emulator = await startCloudEmulator({
        timings: { createMs: 120, attachMs: 100, detachMs: 80, deleteMs: 60 },
      });
      try {
        const [instance] = emulator.instances;
        if (instance === undefined) throw new Error('the emulator started no instance');
        const result = await lifecycle(dir, '@flockerjs/driver-ebs', {
          backend: 'aws',
          region: emulator.region,
          endpoint: emulator.url,
          imds_endpoint: instance.imdsUrl,
          device_root: instance.deviceRoot,
          // Credentials the emulator accepts; it does not verify signatures.
          access_key_id: 'AKIAEMULATOR00000000',
          secret_access_key: 'emulator-secret-key',
        });
        expect(result).toMatchObject({ node: instance.id, attachedTo: instance.id });
        expect(result.device.startsWith(instance.deviceRoot)).toBe(true);
      } finally {
        await emulator.stop();
      }
    },
  );
});

// Issue 13: a vendor's first day. CONTRIBUTING's "Write a driver in your own repository" is followed to the
// letter (its files and commands are read from the guide), against the tarballs packed above, in a folder
// outside the workspace; then each mistake the vendor made is replayed, and each message must name its cause.
describe('a driver in its own repository, from the guide in CONTRIBUTING.md', () => {
  let vendor = '';
  /** Runs flocker-certify as the vendor does; resolves its exit code and output. */
  const certify = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    run('npx', ['flocker-certify', '--report-dir', join(vendor, 'replay-reports'), ...args], {
      cwd: vendor,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
  /** Runs `fn` with the built driver edited as `edit` says, then puts the build back. */
  const withEditedBuild = async (
    edit: (source: string) => string,
    fn: () => Promise<void>,
  ): Promise<void> => {
    const file = join(vendor, 'dist/index.js');
    const built = await readFile(file, 'utf8');
    const edited = edit(built);
    expect(edited, 'the edit changed the build').not.toBe(built);
    await writeFile(file, edited);
    try {
      await fn();
    } finally {
      await writeFile(file, built);
    }
  };

  it('writes the files, installs the packed packages with npm and builds, as the guide says', async ({
    expect,
  }) => {
    const markdown = await readFile(join(root, 'CONTRIBUTING.md'), 'utf8');
    const guide = parseOwnRepoGuide(markdown);
    // The guide packs exactly what @flockerjs/conformance needs from this workspace, besides itself.
    const packed = /^for p in ([a-z -]+); do$/m.exec(markdown)?.[1]?.split(' ') ?? [];
    const needed = withInternalDependencies('@flockerjs/conformance').map((name) =>
      name.replace('@flockerjs/', ''),
    );
    expect([...packed].sort()).toEqual([...needed].sort());

    const home = join(work, 'vendor');
    vendor = join(home, 'acme-san');
    await mkdir(join(home, 'flockerjs-packs'), { recursive: true });
    for (const name of needed) {
      const tarball = await tarballOf(`@flockerjs/${name}`);
      await copyFile(tarball, join(home, 'flockerjs-packs', basename(tarball)));
    }
    for (const [path, text] of guide.files) {
      await mkdir(dirname(join(vendor, path)), { recursive: true });
      await writeFile(join(vendor, path), text);
    }
    expect([...guide.files.keys()].sort()).toEqual([
      'agent.yml',
      'package.json',
      'src/index.ts',
      'test/conformance.test.ts',
      'tsconfig.json',
    ]);
    const env = {
      ...process.env,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_prefer_offline: 'true',
    };
    for (const argv of guide.commands.filter(([command]) => command === 'npm')) {
      const [command = '', ...args] = await expandGlobs(argv, vendor);
      await run(command, args, { cwd: vendor, env });
    }
    const built = await readFile(join(vendor, 'dist/index.js.map'), 'utf8');
    expect(JSON.parse(built).sourcesContent?.[0]).toContain('export class AcmeSanDriver');
    // The guide's remaining commands are the two test runs below.
    expect(guide.commands.filter(([command]) => command !== 'npm').map((argv) => argv.join(' '))).toEqual([
      'npx vitest run',
      'npx flocker-certify --config agent.yml',
    ]);
  });

  it('passes its own conformance test (without root, the cases that attach here are skipped)', async ({
    expect,
  }) => {
    // A failed test would reject with vitest's exit code; a run that proved nothing passes no test.
    const vitest = stripVTControlCharacters((await run('npx', ['vitest', 'run'], { cwd: vendor })).stdout);
    expect(vitest).toMatch(/Tests\s+[1-9]\d* passed/);
  });

  it.skipIf(!isRoot)('is certified by flocker-certify (root: loop devices)', async ({ expect }) => {
    const run1 = await certify('--config', 'agent.yml');
    expect(run1.code, `${run1.stdout}\n${run1.stderr}`).toBe(0);
    expect(run1.stdout).toContain('backend:      acme-san (flocker-driver-acme-san 0.1.0)');
    expect(run1.stdout).toContain('verdict:      CERTIFIED');
    // The run log: every backend call, cleanup included, is inside a test's action, none a task of its own.
    const log = join(vendor, 'replay-reports/run.log.jsonl');
    const { stdout: tree } = await run('npx', ['flocker-certify', 'logs', log], { cwd: vendor });
    const roots = tree.split('\n').filter((line) => /^[a-z]/.test(line));
    expect(roots.length).toBeGreaterThan(0);
    expect(roots.filter((line) => !line.startsWith('conformance:test'))).toEqual([]);
    expect(tree).toMatch(/^[│ ]*[├└]── acme-san:destroyVolume/m);
  });

  it('an unbuilt package: the loader names the missing entry file and says to build', async ({ expect }) => {
    await rename(join(vendor, 'dist'), join(vendor, 'dist-built'));
    try {
      const { code, stderr } = await certify('--config', 'agent.yml');
      expect(code).toBe(2);
      expect(stderr).toContain(
        `package flocker-driver-acme-san is installed, but its entry file ${vendor}/dist/index.js is missing: build the package (npm run build)`,
      );
    } finally {
      await rename(join(vendor, 'dist-built'), join(vendor, 'dist'));
    }
  });

  it('a typo in the backend name: the loader suggests the package meant and names the places searched', async ({
    expect,
  }) => {
    const agent = (await readFile(join(vendor, 'agent.yml'), 'utf8')).replace(
      'backend: flocker-driver-acme-san',
      'backend: flocker-driver-acme-sna',
    );
    await writeFile(join(vendor, 'typo.yml'), agent);
    const { code, stderr } = await certify('--config', 'typo.yml');
    expect(code).toBe(2);
    expect(stderr).toContain(
      'backend "flocker-driver-acme-sna": is neither a built-in backend (loopback, aws, openstack) nor an installed package; did you mean flocker-driver-acme-san?; searched node_modules from ',
    );
    expect(stderr).toContain(`${vendor}/`);
  });

  it('a missing and a misspelled key: each is named, the misspelling with the key meant', async ({
    expect,
  }) => {
    const agent = (await readFile(join(vendor, 'agent.yml'), 'utf8')).replace('root_path:', 'rootpath:');
    await writeFile(join(vendor, 'keys.yml'), agent);
    const { code, stderr } = await certify('--config', 'keys.yml');
    expect(code).toBe(2);
    expect(stderr).toContain('dataset.root_path: required key is missing');
    expect(stderr).toContain('dataset.rootpath: unknown key; did you mean root_path?');
  });

  it('an empty agent.yml: says the file is empty and what it must hold', async ({ expect }) => {
    await writeFile(join(vendor, 'empty.yml'), '');
    const { code, stderr } = await certify('--config', 'empty.yml');
    expect(code).toBe(2);
    expect(stderr).toContain(
      '(file): the file is empty; agent.yml must hold at least `version: 1`, `control-service:` with its `hostname`, and `dataset:` with its `backend`',
    );
  });

  it('openBackend of a backend that needs a cluster id: says where the id comes from and how to pass it', async ({
    expect,
  }) => {
    const script =
      "import { openBackend } from '@flockerjs/core-interface';\n" +
      "await openBackend('agent.yml').then(() => console.log('opened'), (error) => console.log(error.message));";
    const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: vendor });
    expect(stdout).toContain("cluster id: backend acme-san needs the cluster's id (a UUID), got undefined.");
    expect(stdout).toContain('openBackend(path, { clusterId })');
  });

  it('flocker-certify without --config: says it needs root and the loopback package, which is not installed', async ({
    expect,
  }) => {
    const { code, stderr } = await run('npx', ['flocker-certify'], { cwd: vendor }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(code).toBe(2);
    expect(stderr).toContain(
      isRoot
        ? 'backend "loopback": is built in, but its package @flockerjs/driver-loopback is not installed (npm install @flockerjs/driver-loopback)'
        : 'the default certification runs the loopback backend, which needs root for its loop devices (losetup) and the @flockerjs/driver-loopback package',
    );
  });

  it('wrong capability keys: the loader names the missing key and the unknown one', async ({ expect }) => {
    await withEditedBuild(
      (source) => source.replace('resize: false', 'resizable: false'),
      async () => {
        const { code, stderr } = await certify('--config', 'agent.yml');
        expect(code).toBe(2);
        expect(stderr).toContain(
          'capabilities.resize: required key is missing; capabilities.resizable: unknown key; did you mean resize?',
        );
      },
    );
  });

  it.skipIf(!isRoot)(
    'a driver that returns wrong sizes: the diff is under the failed test, in the terminal and report.md',
    async ({ expect }) => {
      await withEditedBuild(
        (source) =>
          source.replace(
            'return blockDeviceVolume({ blockDeviceId, size, attachedTo: null, datasetId });',
            'return blockDeviceVolume({ blockDeviceId, size: (size / 1048576) * 1000000, attachedTo: null, datasetId });',
          ),
        async () => {
          const { code, stdout } = await certify(
            '--config',
            'agent.yml',
            '--only',
            'conformance',
            '--grep',
            'createVolume',
          );
          expect(code).toBe(1);
          const diff = /- {3}"size": 67108864,\n\s*\+ {3}"size": 64000000,/;
          expect(stdout).toContain(
            '✗ conformance › createVolume() returns an unattached volume with the dataset id and size',
          );
          expect(stdout).toMatch(diff);
          expect(await readFile(join(vendor, 'replay-reports/report.md'), 'utf8')).toMatch(diff);
          const junit = await readFile(join(vendor, 'replay-reports/junit.xml'), 'utf8');
          expect(junit).toContain('<testsuite name="conformance"');
          expect(junit).toContain('classname="acme-san: IBlockDeviceAPI conformance &gt; createVolume"');
        },
      );
    },
  );
});

/**
 * Writes an agent.yml with `dataset` into the install directory and runs the lifecycle script there with plain
 * node, where only what npm installed can be imported; checks what every backend must do and returns the rest.
 */
async function lifecycle(
  dir: string,
  packageName: string,
  dataset: Record<string, string>,
): Promise<{ backend: string; node: string; attachedTo: string; device: string }> {
  const yaml = Object.entries(dataset)
    .map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`)
    .join('\n');
  await writeFile(
    join(dir, 'agent.yml'),
    `version: 1\ncontrol-service:\n  hostname: localhost\ndataset:\n${yaml}\n`,
  );
  await writeFile(join(dir, 'lifecycle.mjs'), LIFECYCLE);
  const { stdout } = await run('node', ['lifecycle.mjs', join(dir, 'agent.yml'), packageName, randomUUID()], {
    cwd: dir,
  });
  const result = JSON.parse(stdout);
  expect(result).toMatchObject({
    readBack: true,
    detachedListing: [{ attachedTo: null }],
    destroyedListing: [],
  });
  expect(result.loadedFrom.startsWith(`file://${dir}/node_modules/${packageName}/`), result.loadedFrom).toBe(
    true,
  );
  return result;
}

/** lifecycle.mjs <agent.yml> <package> <cluster id>: create, attach, write and read the device, detach, destroy. */
const LIFECYCLE = `import { randomBytes, randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { openBackend } from '@flockerjs/core-interface';

const [config, packageName, clusterId] = process.argv.slice(2);
const { api, backend } = await openBackend(config, { clusterId });
const node = await api.computeInstanceId();
const volume = await api.createVolume(randomUUID(), Math.max(16 * 1024 * 1024, await api.allocationUnit()));
const attached = await api.attachVolume(volume.blockDeviceId, node);
const device = await api.getDevicePath(volume.blockDeviceId);
const marker = randomBytes(64 * 1024);
const writer = await open(device, 'r+');
await writer.write(marker, 0, marker.length, 4096);
await writer.datasync();
await writer.close();
const reader = await open(device, 'r');
const back = Buffer.alloc(marker.length);
await reader.read(back, 0, back.length, 4096);
await reader.close();
await api.detachVolume(volume.blockDeviceId);
const detachedListing = await api.listVolumes();
await api.destroyVolume(volume.blockDeviceId);
const destroyedListing = await api.listVolumes();
console.log(JSON.stringify({
  backend: backend.name, node, attachedTo: attached.attachedTo, device, readBack: back.equals(marker),
  detachedListing, destroyedListing, loadedFrom: import.meta.resolve(packageName),
}));
`;
