/** One figure of `npm run bench`, under a stable name: what bench-results.json holds, one per entry. */
export interface Figure {
  /** Stable, dotted: `fleet.ec2.wall_over_bound`. */
  readonly name: string;
  /** The median over `runs`. */
  readonly value: number;
  /** `ratio`, `ms`, `count`, `calls/op`, `MiB/s`, ... */
  readonly unit: string;
  /** Runs the value is the median of. */
  readonly runs?: number;
  /** Largest minus smallest value over the runs, in `unit`. */
  readonly spread?: number;
  /** What the figure is held against, for the table: `<= 1.2`, `= 0`. */
  readonly goal?: string;
}

/** One run's values, by name, with their units and goals. */
export type Sample = Readonly<
  Record<string, { readonly value: number; readonly unit: string; readonly goal?: string }>
>;

/** The figures of several runs of one benchmark: median and spread of each name, in first-seen order. */
export function summarize(samples: readonly Sample[]): Figure[] {
  const names = [...new Set(samples.flatMap((sample) => Object.keys(sample)))];
  return names.map((name) => {
    const seen = samples.flatMap((sample) => (sample[name] === undefined ? [] : [sample[name]]));
    const values = seen.map((entry) => entry.value).sort((a, b) => a - b);
    const first = seen[0];
    return {
      name,
      value: round(median(values)),
      unit: first?.unit ?? '',
      runs: values.length,
      spread: round((values.at(-1) ?? 0) - (values[0] ?? 0)),
      ...(first?.goal === undefined ? {} : { goal: first.goal }),
    };
  });
}

export function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Three significant decimals at most: figures, not noise. */
export function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toFixed(3)) : value;
}

/** The figures as one aligned text table. */
export function table(figures: readonly Figure[]): string {
  const rows = [
    ['figure', 'value', 'unit', 'spread', 'runs', 'goal'],
    ...figures.map((figure) => [
      figure.name,
      String(figure.value),
      figure.unit,
      figure.spread === undefined ? '' : `±${figure.spread}`,
      figure.runs === undefined ? '' : String(figure.runs),
      figure.goal ?? '',
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 1 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
