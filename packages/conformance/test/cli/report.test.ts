import { describe, expect, it } from 'vitest';
import {
  type Report,
  renderJunit,
  renderMarkdown,
  summarize,
  type TestResult,
  trimDiff,
} from '../../src/cli/report.js';

/** Vitest's diff of `[{ blockDeviceId, size }]` against a driver that rounded the size, colours included. */
const VITEST_DIFF = [
  '\u001b[32m- Expected\u001b[39m',
  '\u001b[31m+ Received\u001b[39m',
  '',
  '  [',
  '    {',
  '      "attachedTo": null,',
  '      "blockDeviceId": "vol-1",',
  '      "datasetId": "0b4d1f3c-6a52-4b0e-9d3f-2f8e7a1c5b6d",',
  '\u001b[32m-     "size": 67108864,\u001b[39m',
  '\u001b[31m+     "size": 64000000,\u001b[39m',
  '    },',
  '  ]',
].join('\n');

const failed: TestResult = {
  suite: 'conformance',
  name: 'createVolume() returns a volume of exactly the requested size',
  fullName: 'acme-san > createVolume > createVolume() returns a volume of exactly the requested size',
  group: 'acme-san > createVolume',
  state: 'failed',
  durationMs: 12,
  error: 'AssertionError: expected [ { …(2) } ] to deeply equal [ { …(2) } ]',
  diff: trimDiff(VITEST_DIFF),
};
const skipped: TestResult = {
  suite: 'acceptance',
  name: 'moves a filesystem',
  fullName: 'acme-san: acceptance > moves a filesystem',
  group: 'acme-san: acceptance',
  state: 'skipped',
  durationMs: 0,
  note: 'no second node & <none>',
};

function report(tests: TestResult[]): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'flocker-certify', version: '0.1.0' },
    verdict: 'failed',
    startedAt: new Date(0).toISOString(),
    durationMs: 1500,
    config: '/x/agent.yml',
    backend: { name: 'acme-san', needsClusterId: true, capabilities: {} },
    clusterId: 'c',
    suites: summarize(tests),
    tests,
    methods: [],
    sweep: { apis: 1, volumesRemoved: 0, errors: [] },
    files: { json: 'r.json', markdown: 'r.md', junit: 'j.xml', log: 'l' },
  };
}

describe('trimDiff', () => {
  it('keeps the legend and the changed lines with one line of context, without colour', () => {
    expect(trimDiff(VITEST_DIFF)).toBe(
      [
        '- Expected',
        '+ Received',
        '  …',
        '      "datasetId": "0b4d1f3c-6a52-4b0e-9d3f-2f8e7a1c5b6d",',
        '-     "size": 67108864,',
        '+     "size": 64000000,',
        '    },',
        '  …',
      ].join('\n'),
    );
  });

  it('keeps a comparison that is not a line diff whole (toContainEqual prints both values)', () => {
    const both = [
      '- Expected:',
      '{',
      '  "size": 67108864,',
      '}',
      '',
      '+ Received:',
      '[',
      '  {',
      '    "size": 64000000,',
      '  },',
      ']',
    ];
    expect(trimDiff(both.join('\n'))).toBe(both.join('\n'));
  });

  it('cuts a long diff to the line limit, saying how much is left out', () => {
    const long = [
      '- Expected',
      '+ Received',
      '',
      ...Array.from({ length: 50 }, (_, i) => `- line ${i}`),
    ].join('\n');
    const trimmed = trimDiff(long, 10).split('\n');
    expect(trimmed).toHaveLength(10);
    expect(trimmed.at(-1)).toBe('  … 43 more lines');
  });
});

describe('renderMarkdown', () => {
  it('shows the diff under a failed test', () => {
    const markdown = renderMarkdown(report([failed]));
    expect(markdown).toContain(
      '- **acme-san > createVolume > createVolume() returns a volume of exactly the requested size**: AssertionError: expected [ { …(2) } ] to deeply equal [ { …(2) } ]\n\n  ```diff\n  - Expected\n  + Received\n',
    );
    expect(markdown).toContain('  -     "size": 67108864,\n  +     "size": 64000000,\n');
  });
});

describe('renderJunit', () => {
  it('names each testsuite after its suite and each classname after the test groups', () => {
    const junit = renderJunit(report([failed, skipped]));
    expect(junit).toContain('<testsuite name="conformance" tests="1" failures="1" skipped="0"');
    expect(junit).toContain('<testsuite name="acceptance" tests="1" failures="0" skipped="1"');
    expect(junit).toContain(
      '<testcase classname="acme-san &gt; createVolume" name="createVolume() returns a volume of exactly the requested size" time="0.012">',
    );
    expect(junit).toContain('<skipped message="no second node &amp; &lt;none&gt;"/>');
    expect(junit).toContain('&quot;size&quot;: 64000000');
    expect(junit).not.toContain('suite.js');
    expect(junit.match(/<testcase /g)).toHaveLength(2);
  });
});

describe('errors outside tests', () => {
  const withErrors = {
    ...report([skipped]),
    errors: ['acceptance › acme-san: acceptance: Error: agent a did not stop'],
  };

  it('are listed in report.md', () => {
    expect(renderMarkdown(withErrors)).toContain(
      '## Errors outside tests\n\n- acceptance › acme-san: acceptance: Error: agent a did not stop\n',
    );
  });

  it('are failures of their own in junit.xml, so a CI view of it is not green', () => {
    const junit = renderJunit(withErrors);
    expect(junit).toContain('<testsuite name="outside tests" tests="1" failures="1">');
    expect(junit).toContain(
      '<failure message="acceptance › acme-san: acceptance: Error: agent a did not stop">',
    );
  });
});
