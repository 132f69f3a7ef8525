// Crash safety: the agent is SIGKILLed (with the commands it runs) at every step boundary of create, move and
// delete, at every driver call or command inside a step, and in the middle of steps; restarted each time, it
// converges with no duplicate volume, no leaked loop device or mount, and the data written before intact.

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  killGroup,
  MIB,
  makeWorld,
  type RunResult,
  readChecksum,
  skipUnlessRoot,
  type World,
  writeData,
} from './world.js';

type Mode = 'after-step' | 'after-call' | 'mid-step' | 'mid-call';
const CHANGE_STARTED =
  /"action_type":"dataset-agent:(create-volume|attach-volume|create-filesystem|mount|unmount|detach-volume|destroy-volume)","action_status":"started"/;
/** A driver call or command starting inside a change (a change is logged before its calls). */
const CALL_STARTED =
  /"action_type":"(dataset-agent:exec|loopback:(createVolume|attachVolume|detachVolume|destroyVolume))","action_status":"started"/;
const kills: Record<Mode, number> = { 'after-step': 0, 'after-call': 0, 'mid-step': 0, 'mid-call': 0 };

describe.skipIf(skipUnlessRoot)('crash safety under SIGKILL', { timeout: 600_000 }, () => {
  let world: World;
  beforeAll(async () => {
    world = await makeWorld('agent-crash-', { logToStderr: true });
  });
  afterAll(async () => {
    await world?.cleanup();
    process.stdout.write(
      `SIGKILLs: ${JSON.stringify(kills)}, total ${Object.values(kills).reduce((a, b) => a + b, 0)}\n`,
    );
  });

  /**
   * Starts the agent and SIGKILLs it (its process group) as soon as it starts a state change, or with `inCall`
   * as soon as that change starts a driver call or a command (mkfs, mount, umount...), which dies with it.
   */
  function killMidStep(node: string, inCall: boolean): Promise<RunResult> {
    const child: ChildProcess = world.start(node);
    let inChange = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (CHANGE_STARTED.test(line)) inChange = true;
        if (inChange && (!inCall || CALL_STARTED.test(line))) killGroup(child);
      }
    });
    return collect(child);
  }

  /** Runs `node`'s agent with crashes until a run converges (exit 0); counts the kills. */
  async function phase(node: string, mode: Mode, datasetId: string): Promise<void> {
    let result: RunResult | undefined;
    for (let attempt = 0; attempt < 60; attempt += 1) {
      // Mid-step kills alternate with runs killed after one step, so that every other run makes progress.
      if ((mode === 'mid-step' || mode === 'mid-call') && attempt % 2 === 0) {
        result = await killMidStep(node, mode === 'mid-call');
      } else {
        // After the first or the second call in turn: a step makes at most two calls (create-volume lists, then
        // creates; create-filesystem probes, then formats), so every call boundary is hit and every other run progresses.
        const env: Record<string, string> =
          mode === 'after-call'
            ? { FLOCKER_AGENT_KILL_AFTER_CALL: String(1 + (attempt % 2)) }
            : { FLOCKER_AGENT_KILL_AFTER_STEP: '1' };
        result = await world.run(node, { env });
      }
      const volumes = (await world.volumes()).filter((v) => v.datasetId === datasetId);
      expect(volumes.length, 'duplicate volume').toBeLessThanOrEqual(1);
      if (result.code === 0) return;
      // Exit 1: a change failed this round (a loop device still busy after the last unmount, under load) and is
      // retried by the next run, as the loop retries it; anything else is a crash we did not cause.
      if (result.code === 1 && /^failed: /m.test(result.stderr)) continue;
      expect(result.signal, result.stderr.slice(-2000)).toBe('SIGKILL');
      kills[mode] += 1;
    }
    const changes = (result?.stderr ?? '')
      .split('\n')
      .filter((line) => CHANGE_STARTED.test(line) || !line.startsWith('{'));
    throw new Error(`${node} did not converge in 60 runs (${mode}); the last run:\n${changes.join('\n')}`);
  }

  async function expectHeldBy(node: string | null, datasetId: string, sum?: string): Promise<void> {
    const volumes = await world.volumes();
    if (node === null) {
      expect(volumes).toEqual([]);
      expect(await world.loopDevices()).toEqual([]);
      expect(await world.mounts()).toEqual([]);
      // Nor a file a killed create staged.
      expect(await readdir(join(world.root, 'unattached'))).toEqual([]);
      return;
    }
    expect(volumes.map((v) => [v.datasetId, v.attachedTo])).toEqual([[datasetId, node]]);
    expect(await world.loopDevices()).toHaveLength(1);
    expect(await world.mounts()).toEqual([world.mountPath(node, datasetId)]);
    if (sum !== undefined) expect(await readChecksum(world.mountPath(node, datasetId), 'data.bin')).toBe(sum);
  }

  it.each(['after-step', 'after-call', 'mid-step', 'mid-call'] as const)(
    'killed %s through create, move A to B, move back and delete: converges, nothing duplicated, leaked or lost',
    async (mode) => {
      const datasetId = randomUUID();
      const on = (primary: string, deleted = false) => ({
        datasets: [{ dataset_id: datasetId, primary, maximum_size: 32 * MIB, deleted }],
      });
      await world.setDesired(on('node-a'));
      await phase('node-a', mode, datasetId);
      await expectHeldBy('node-a', datasetId);
      const sum = await writeData(world.mountPath('node-a', datasetId), 'data.bin', `${mode} data`);

      await world.setDesired(on('node-b'));
      await phase('node-a', mode, datasetId);
      await phase('node-b', mode, datasetId);
      await expectHeldBy('node-b', datasetId, sum);

      await world.setDesired(on('node-a'));
      await phase('node-b', mode, datasetId);
      await phase('node-a', mode, datasetId);
      await expectHeldBy('node-a', datasetId, sum);

      await world.setDesired(on('node-a', true));
      await phase('node-a', mode, datasetId);
      await expectHeldBy(null, datasetId);
    },
  );

  it('killed at least 50 times in all', () => {
    expect(Object.values(kills).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(50);
  });
});
