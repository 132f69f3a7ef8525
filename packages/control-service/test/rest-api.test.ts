// Flocker's REST API v1: paths, JSON fields and status codes as the original, and each place where the original
// was wrong (reference section 7) refused the way the README says.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ControlApiError, DEFAULT_DATASET_SIZE, MINIMUM_DATASET_SIZE } from '../src/index.js';
import { raw, reportNode, startTestControl } from './helpers.js';

const SIZE = MINIMUM_DATASET_SIZE;

async function refusal(promise: Promise<unknown>): Promise<ControlApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ControlApiError))
    throw new Error(`expected a ControlApiError, got ${String(error)}`);
  return error;
}

describe('datasets', () => {
  it('GET /v1/version answers the package version', async () => {
    const { client } = await startTestControl();
    expect(await client.version()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('POST creates (201) with defaults, a lowercased id, and maximum_size left out when null', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const created = await control.client.createDataset({ primary: node });
    expect(created).toEqual({ dataset_id: expect.any(String), primary: node, deleted: false, metadata: {} });
    const id = randomUUID().toUpperCase();
    const sized = await control.client.createDataset({
      primary: node.toUpperCase(),
      dataset_id: id,
      maximum_size: SIZE,
      metadata: { name: 'db' },
    });
    expect(sized).toEqual({
      dataset_id: id.toLowerCase(),
      primary: node,
      deleted: false,
      metadata: { name: 'db' },
      maximum_size: SIZE,
    });
    const response = await raw(control.server.url, 'GET', '/v1/configuration/datasets');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(expect.arrayContaining([created, sized]));
    expect(response.headers.get('x-configuration-tag')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses an unknown primary node with the original defined 400 (never raised there)', async () => {
    const control = await startTestControl();
    const error = await refusal(control.client.createDataset({ primary: randomUUID() }));
    expect(error).toMatchObject({
      status: 400,
      code: 'UNKNOWN_NODE',
      description: 'The provided primary node is not part of the cluster.',
    });
    expect(control.service.datasets()).toEqual([]);
  });

  it('refuses a dataset_id already used, deleted or not, whatever its case (409)', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const id = randomUUID();
    await control.client.createDataset({ primary: node, dataset_id: id });
    await control.client.deleteDataset(id);
    const error = await refusal(
      control.client.createDataset({ primary: node, dataset_id: id.toUpperCase() }),
    );
    expect(error).toMatchObject({ status: 409, description: 'The provided dataset_id is already in use.' });
  });

  it.each([
    ['an unknown key', { primary: 'P', size: 1 }, 'size: unknown key'],
    ['a bad UUID', { primary: 'not-a-uuid' }, 'primary: must be a version 4 UUID'],
    ['a size under 64 MiB', { primary: 'P', maximum_size: 1024 }, 'maximum_size:'],
    ['a size not a multiple of 1024', { primary: 'P', maximum_size: SIZE + 1 }, 'maximum_size:'],
    ['a size that is a string', { primary: 'P', maximum_size: '64M' }, 'maximum_size:'],
    [
      '17 metadata entries',
      { primary: 'P', metadata: Object.fromEntries([...Array(17).keys()].map((i) => [`k${i}`, 'v'])) },
      'metadata: at most 16 entries',
    ],
    ['an empty metadata key', { primary: 'P', metadata: { '': 'v' } }, 'metadata'],
    ['no primary', {}, 'primary: required key is missing'],
  ])('refuses a create body with %s (400 naming the key)', async (_what, body, problem) => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const text = JSON.stringify(body).replace('"P"', JSON.stringify(node));
    const response = await raw(control.server.url, 'POST', '/v1/configuration/datasets', text);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      description: "The provided JSON doesn't match the required schema.",
      errors: expect.arrayContaining([expect.stringContaining(problem)]),
    });
    expect(control.service.datasets()).toEqual([]);
  });

  it('refuses a body that is not JSON with the original 400', async () => {
    const control = await startTestControl();
    const response = await raw(control.server.url, 'POST', '/v1/configuration/datasets', '{"primary": ');
    expect(response).toMatchObject({
      status: 400,
      body: {
        description:
          'The request body could not be decoded according to the value of the Content-Type header.',
      },
    });
  });

  it('moves by changing primary (200); 404 unknown, 405 deleted, 400 unknown node; same node is a no-op', async () => {
    const control = await startTestControl();
    const [a, b] = [await reportNode(control), await reportNode(control)];
    const { dataset_id: id } = await control.client.createDataset({ primary: a });
    expect(await control.client.moveDataset(id, b)).toMatchObject({ dataset_id: id, primary: b });
    expect(await control.client.moveDataset(id, b)).toMatchObject({ primary: b });
    expect(await refusal(control.client.moveDataset(id, randomUUID()))).toMatchObject({
      status: 400,
      description: 'The provided primary node is not part of the cluster.',
    });
    expect(await refusal(control.client.moveDataset(randomUUID(), a))).toMatchObject({
      status: 404,
      description: 'Dataset not found.',
    });
    await control.client.deleteDataset(id);
    expect(await refusal(control.client.moveDataset(id, a))).toMatchObject({
      status: 405,
      description: 'The dataset has been deleted.',
    });
  });

  it('deletes (200, deleted: true, idempotent; the dataset stays listed); 404 unknown', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const { dataset_id: id } = await control.client.createDataset({ primary: node });
    expect(await control.client.deleteDataset(id)).toMatchObject({ dataset_id: id, deleted: true });
    expect(await control.client.deleteDataset(id)).toMatchObject({ deleted: true });
    expect((await control.client.listDatasets()).datasets).toEqual([
      expect.objectContaining({ deleted: true }),
    ]);
    expect(await refusal(control.client.deleteDataset(randomUUID()))).toMatchObject({ status: 404 });
  });

  it.each([
    ['POST', '/v1/configuration/datasets/not-a-uuid', '{}'],
    ['DELETE', '/v1/configuration/datasets/not-a-uuid', undefined],
    ['DELETE', '/v1/configuration/leases/1234', undefined],
    ['GET', '/v1/state/nodes/by_era/zzz', undefined],
  ])('%s %s: a malformed UUID in the path is a 400, not a 500', async (method, path, body) => {
    const control = await startTestControl();
    const response = await raw(control.server.url, method, path, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errors: [expect.stringMatching(/must be a version 4 UUID/)] });
  });
});

describe('resize: POST /v1/configuration/datasets/<id> with maximum_size', () => {
  it('grows a dataset (200); the same size is a no-op; the new size is listed and changes the tag', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const { dataset_id: id } = await control.client.createDataset({ primary: node, maximum_size: SIZE });
    const before = await control.client.listDatasets();
    expect(await control.client.resizeDataset(id, 2 * SIZE)).toMatchObject({
      dataset_id: id,
      primary: node,
      maximum_size: 2 * SIZE,
    });
    expect(await control.client.resizeDataset(id, 2 * SIZE)).toMatchObject({ maximum_size: 2 * SIZE });
    const after = await control.client.listDatasets();
    expect(after.datasets).toEqual([expect.objectContaining({ dataset_id: id, maximum_size: 2 * SIZE })]);
    expect(after.tag).not.toBe(before.tag);
  });

  it('refuses to shrink (409 DATASET_SHRINK naming the dataset and both sizes) and changes nothing', async () => {
    const control = await startTestControl();
    const [a, b] = [await reportNode(control), await reportNode(control)];
    const { dataset_id: id } = await control.client.createDataset({ primary: a, maximum_size: 2 * SIZE });
    const before = await control.client.listDatasets();
    const error = await refusal(control.client.resizeDataset(id, SIZE));
    expect(error).toMatchObject({ status: 409, code: 'DATASET_SHRINK' });
    expect(error.description).toContain(id);
    expect(error.description).toContain(String(SIZE));
    expect(error.description).toContain(String(2 * SIZE));
    // A move in the same request is refused with it: all or nothing.
    const both = await raw(
      control.server.url,
      'POST',
      `/v1/configuration/datasets/${id}`,
      JSON.stringify({ primary: b, maximum_size: SIZE }),
    );
    expect(both).toMatchObject({ status: 409, body: { code: 'DATASET_SHRINK' } });
    expect(await control.client.listDatasets()).toEqual(before);
  });

  it('a null (default) size counts as 75 GiB: smaller is a shrink, larger grows', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const { dataset_id: id } = await control.client.createDataset({ primary: node });
    const error = await refusal(control.client.resizeDataset(id, 2 * SIZE));
    expect(error).toMatchObject({ status: 409, code: 'DATASET_SHRINK' });
    expect(error.description).toContain(String(DEFAULT_DATASET_SIZE));
    expect(await control.client.resizeDataset(id, DEFAULT_DATASET_SIZE + SIZE)).toMatchObject({
      maximum_size: DEFAULT_DATASET_SIZE + SIZE,
    });
  });

  it('refuses a growth where the node to hold it reports a backend without resize (409), nothing changed', async () => {
    const control = await startTestControl();
    const fixed = randomUUID();
    await control.agent(fixed).reportNodeState({ instance_id: 'fixed', can_resize: false, datasets: [] });
    const growing = randomUUID();
    await control.agent(growing).reportNodeState({ instance_id: 'growing', can_resize: true, datasets: [] });
    const { dataset_id: id } = await control.client.createDataset({ primary: fixed, maximum_size: SIZE });
    const before = await control.client.listDatasets();
    const error = await refusal(control.client.resizeDataset(id, 2 * SIZE));
    expect(error).toMatchObject({ status: 409, code: 'RESIZE_UNSUPPORTED' });
    expect(error.description).toContain(id);
    expect(error.description).toContain(fixed);
    expect(await control.client.listDatasets()).toEqual(before);
    // Moved to a node that can resize in the same request, it grows there.
    const moved = await raw(
      control.server.url,
      'POST',
      `/v1/configuration/datasets/${id}`,
      JSON.stringify({ primary: growing, maximum_size: 2 * SIZE }),
    );
    expect(moved).toMatchObject({ status: 200, body: { primary: growing, maximum_size: 2 * SIZE } });
  });

  it('refuses bad sizes (400 naming maximum_size), a deleted dataset (405) and an unknown one (404)', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const { dataset_id: id } = await control.client.createDataset({ primary: node, maximum_size: SIZE });
    for (const size of [SIZE + 1, SIZE - 1024, null, '134217728']) {
      const response = await raw(
        control.server.url,
        'POST',
        `/v1/configuration/datasets/${id}`,
        JSON.stringify({ maximum_size: size }),
      );
      expect(response, String(size)).toMatchObject({
        status: 400,
        body: { errors: [expect.stringMatching(/^maximum_size: /)] },
      });
    }
    expect(await refusal(control.client.resizeDataset(randomUUID(), 2 * SIZE))).toMatchObject({
      status: 404,
    });
    await control.client.deleteDataset(id);
    expect(await refusal(control.client.resizeDataset(id, 2 * SIZE))).toMatchObject({
      status: 405,
      code: 'DATASET_DELETED',
    });
  });
});

describe('X-Configuration-Tag and X-If-Configuration-Matches', () => {
  it('refuses create, move and delete with a stale tag (412) and accepts the current one', async () => {
    const control = await startTestControl();
    const [a, b] = [await reportNode(control), await reportNode(control)];
    const { tag: before } = await control.client.listDatasets();
    const { dataset_id: id } = await control.client.createDataset({ primary: a }, { ifMatches: before });
    const { tag } = await control.client.listDatasets();
    expect(tag).not.toBe(before);
    for (const attempt of [
      () => control.client.createDataset({ primary: a }, { ifMatches: before }),
      () => control.client.moveDataset(id, b, { ifMatches: before }),
      () => control.client.deleteDataset(id, { ifMatches: before }),
    ]) {
      const error = await refusal(attempt());
      expect(error).toMatchObject({ status: 412, code: 'TAG_MISMATCH' });
      expect(error.description).toBe(`Tag doesn't match. Required: ${before}, current: ${tag}`);
    }
    expect((await control.client.listDatasets()).tag).toBe(tag);
    await control.client.moveDataset(id, b, { ifMatches: `${before}, ${tag}` });
    const { tag: moved } = await control.client.listDatasets();
    await control.client.deleteDataset(id, { ifMatches: moved });
  });

  it('checks the tag before the body, as the original', async () => {
    const control = await startTestControl();
    const response = await raw(control.server.url, 'POST', '/v1/configuration/datasets', '{"bad": 1}', {
      'x-if-configuration-matches': 'stale',
    });
    expect(response.status).toBe(412);
  });

  it('covers only the dataset configuration: leases, ownership and new nodes leave it alone', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    const { dataset_id: id } = await control.client.createDataset({ primary: node });
    const { tag } = await control.client.listDatasets();
    await control.client.acquireLease({ dataset_id: id, node_uuid: node, expires: null });
    await control.agent(node).recordOwnership(id, 'vol-1');
    await reportNode(control);
    await control.client.releaseLease(id);
    expect((await control.client.listDatasets()).tag).toBe(tag);
  });
});

describe('leases', () => {
  it('acquires (201), renews for the same node (200), refuses another node (409), releases (200, then 404)', async () => {
    const control = await startTestControl();
    const [a, b] = [await reportNode(control), await reportNode(control)];
    const { dataset_id: id } = await control.client.createDataset({ primary: a });
    const acquired = await raw(
      control.server.url,
      'POST',
      '/v1/configuration/leases',
      JSON.stringify({ dataset_id: id, node_uuid: a, expires: 600 }),
    );
    expect(acquired.status).toBe(201);
    expect(acquired.body).toEqual({ dataset_id: id, node_uuid: a, expires: expect.any(Number) });
    const renewed = await raw(
      control.server.url,
      'POST',
      '/v1/configuration/leases',
      JSON.stringify({ dataset_id: id, node_uuid: a, expires: null }),
    );
    expect(renewed).toMatchObject({ status: 200, body: { dataset_id: id, node_uuid: a, expires: null } });
    expect(
      await refusal(control.client.acquireLease({ dataset_id: id, node_uuid: b, expires: null })),
    ).toMatchObject({
      status: 409,
      description: 'Lease already held.',
    });
    expect(await control.client.leases()).toEqual([{ dataset_id: id, node_uuid: a, expires: null }]);
    expect(await control.client.releaseLease(id)).toEqual({ dataset_id: id, node_uuid: a, expires: null });
    expect(await refusal(control.client.releaseLease(id))).toMatchObject({
      status: 404,
      description: 'Lease not found.',
    });
  });

  it('refuses a lease on a dataset that does not exist (404) or for a node that is not known (400)', async () => {
    const control = await startTestControl();
    const node = await reportNode(control);
    expect(
      await refusal(
        control.client.acquireLease({ dataset_id: randomUUID(), node_uuid: node, expires: null }),
      ),
    ).toMatchObject({ status: 404, description: 'Dataset not found.' });
    const { dataset_id: id } = await control.client.createDataset({ primary: node });
    expect(
      await refusal(control.client.acquireLease({ dataset_id: id, node_uuid: randomUUID(), expires: null })),
    ).toMatchObject({ status: 400, code: 'UNKNOWN_NODE' });
    expect(await control.client.leases()).toEqual([]);
  });

  it('a leased dataset is neither moved nor deleted (409 naming the lease) until released', async () => {
    const control = await startTestControl();
    const [a, b] = [await reportNode(control), await reportNode(control)];
    const { dataset_id: id } = await control.client.createDataset({ primary: a });
    await control.client.acquireLease({ dataset_id: id, node_uuid: a, expires: null });
    for (const attempt of [() => control.client.moveDataset(id, b), () => control.client.deleteDataset(id)]) {
      const error = await refusal(attempt());
      expect(error).toMatchObject({ status: 409, code: 'DATASET_LEASED' });
      expect(error.description).toContain(`leased to node ${a}`);
    }
    expect(control.service.datasets()).toEqual([expect.objectContaining({ primary: a, deleted: false })]);
    await control.client.releaseLease(id);
    expect(await control.client.moveDataset(id, b)).toMatchObject({ primary: b });
  });

  it('a lease that expires stops protecting the dataset and leaves the list', async () => {
    const control = await startTestControl();
    const [a, b] = [await reportNode(control), await reportNode(control)];
    const { dataset_id: id } = await control.client.createDataset({ primary: a });
    await control.client.acquireLease({ dataset_id: id, node_uuid: a, expires: 0.2 });
    // The agents' view changes when the lease runs out: wait for that, not for a clock.
    const agent = control.agent(a);
    let update = await agent.watchCluster({ waitMs: 0 });
    while (update.leases.length > 0)
      update = await agent.watchCluster({ since: update.version, waitMs: 60_000 });
    expect(await control.client.leases()).toEqual([]);
    expect(await control.client.moveDataset(id, b)).toMatchObject({ primary: b });
  });
});

describe('state', () => {
  it('/v1/state/datasets: primary and path where a node reports it mounted, id and size elsewhere', async () => {
    const control = await startTestControl();
    const [mounted, loose] = [randomUUID(), randomUUID()];
    const a = await reportNode(control, randomUUID(), [
      { dataset_id: mounted, blockdevice_id: 'vol-1', maximum_size: SIZE, path: `/flocker/${mounted}` },
      { dataset_id: loose, blockdevice_id: 'vol-2', maximum_size: SIZE },
    ]);
    await reportNode(control, randomUUID(), [{ dataset_id: mounted, maximum_size: SIZE }]);
    expect(await control.client.datasetStates()).toEqual(
      expect.arrayContaining([
        { dataset_id: mounted, maximum_size: SIZE, primary: a, path: `/flocker/${mounted}` },
        { dataset_id: loose, maximum_size: SIZE },
      ]),
    );
    expect(await control.client.datasetStates()).toHaveLength(2);
  });

  it('/v1/state/nodes lists reporting nodes with their address; by_era finds a node by boot id (404 otherwise)', async () => {
    const control = await startTestControl();
    const node = randomUUID();
    const era = randomUUID();
    await control.agent(node).reportNodeState({ instance_id: 'i-1', era, datasets: [] });
    expect(await control.client.waitForNodes([node], { timeoutMs: 60_000 })).toEqual([
      { uuid: node, host: '127.0.0.1' },
    ]);
    await expect(control.client.waitForNodes([randomUUID()], { timeoutMs: 1 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect(await control.client.nodeByEra(era)).toBe(node);
    const missing = await raw(control.server.url, 'GET', `/v1/state/nodes/by_era/${randomUUID()}`);
    expect(missing).toMatchObject({ status: 404, body: { description: 'No node found with given era.' } });
  });

  it('a node whose agent stops reporting expires from /v1/state/*, and stays a known primary', async () => {
    const control = await startTestControl({ nodeExpiryMs: 300 });
    const dataset = randomUUID();
    const node = await reportNode(control, randomUUID(), [
      { dataset_id: dataset, maximum_size: SIZE, path: '/x' },
    ]);
    expect(await control.client.nodes()).toHaveLength(1);
    await control.client.waitForDataset(dataset, { gone: true }, { timeoutMs: 60_000 });
    expect(await control.client.nodes()).toEqual([]);
    expect(await control.client.createDataset({ primary: node })).toMatchObject({ primary: node });
  });
});

describe('OpenAPI', () => {
  it('GET /v1/openapi.json describes every route with JSON schemas made from the zod schemas', async () => {
    const control = await startTestControl();
    const document = await control.client.openApi();
    expect(document).toMatchObject({ openapi: '3.1.0' });
    const paths = document.paths as Record<
      string,
      Record<string, { requestBody: { content: Record<string, { schema: unknown }> }; responses: object }>
    >;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/version',
        '/v1/configuration/datasets',
        '/v1/configuration/datasets/{dataset_id}',
        '/v1/state/datasets',
        '/v1/state/nodes',
        '/v1/state/nodes/by_era/{era}',
        '/v1/configuration/leases',
        '/v1/configuration/leases/{dataset_id}',
        '/v1/agent/state',
        '/v1/agent/cluster',
      ]),
    );
    const create = paths['/v1/configuration/datasets']?.post;
    expect(create?.requestBody.content['application/json']?.schema).toMatchObject({
      type: 'object',
      required: ['primary'],
      additionalProperties: false,
      properties: {
        maximum_size: { anyOf: expect.arrayContaining([expect.objectContaining({ minimum: SIZE })]) },
      },
    });
    expect(Object.keys(create?.responses ?? {})).toEqual(['201', '400', '409', '412']);
  });

  it('is the reviewed API: any change to a route or a schema shows in test/openapi.snap.json', async () => {
    const control = await startTestControl();
    const { info: _version, ...document } = await control.client.openApi();
    await expect(`${JSON.stringify(document, null, 2)}\n`).toMatchFileSnapshot('./openapi.snap.json');
  });
});
