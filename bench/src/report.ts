import type { GoalStatus, ScenarioResult } from "./scenarios/result";

function format(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en");
  return String(Math.round(value * 100) / 100);
}

const goalLabels: Record<GoalStatus, string> = { met: "met         ", missed: "MISSED      ", "not measured": "not measured" };

/** The results as a plain-text table, one block per scenario. */
export function renderTable(results: ScenarioResult[]): string {
  const lines: string[] = [];
  const header = ["metric", "Parley", "baseline", "Parley ÷ baseline"];
  for (const result of results) {
    lines.push("", `## ${result.title}`);
    if (result.skipped) {
      lines.push(`skipped: ${result.skipped}`);
      continue;
    }
    const body = result.rows.map((entry) => [
      entry.unit ? `${entry.metric} (${entry.unit})` : entry.metric,
      format(entry.parley),
      format(entry.baseline),
      format(entry.ratio),
    ]);
    const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] ?? "").length)));
    const render = (cells: string[]) =>
      cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  ");
    lines.push(render(header), widths.map((width) => "-".repeat(width)).join("  "), ...body.map(render));
    for (const goal of result.goals) {
      lines.push(`goal ${goalLabels[goal.status]}: ${goal.description}${goal.reason ? ` (${goal.reason})` : ""}`);
    }
    for (const warning of result.warnings) lines.push(`WARNING: ${warning}`);
    for (const note of result.notes) lines.push(`note: ${note}`);
  }
  return lines.join("\n");
}

const palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Latency by percentile for every series, hand-built: x is the percentile on a "nines" scale
 * (0, 90, 99, 99.9, 99.99), y the latency on a log scale. Parley solid, baseline dashed.
 */
export function renderLatencySvg(results: ScenarioResult[], subtitle: string): string {
  const series = results.flatMap((result) => result.curves ?? []).filter((entry) => entry.points.length > 0);
  const width = 900;
  const height = 520;
  const margin = { left: 90, right: 230, top: 50, bottom: 60 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const allMs = series.flatMap((entry) => entry.points.map((point) => point.ms)).filter((ms) => ms > 0);
  const minLog = Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...allMs))));
  const maxLog = Math.ceil(Math.log10(Math.max(10, ...allMs)));
  const maxNines = 4;
  const x = (percentile: number) => {
    const nines = percentile >= 100 ? maxNines : Math.min(maxNines, -Math.log10(1 - percentile / 100));
    return margin.left + (nines / maxNines) * plotWidth;
  };
  const y = (ms: number) => margin.top + plotHeight - ((Math.log10(Math.max(ms, 10 ** minLog)) - minLog) / (maxLog - minLog)) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="22" font-size="16" font-weight="600">Parley vs baseline: send→receive latency by percentile</text>`,
    `<text x="${margin.left}" y="40" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  for (let power = minLog; power <= maxLog; power += 1) {
    const value = 10 ** power;
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#e5e7eb"/>`,
      `<text x="${margin.left - 8}" y="${y(value) + 4}" text-anchor="end">${value >= 1 ? value : value.toFixed(1)} ms</text>`,
    );
  }
  for (const [nines, label] of [
    [0, "0%"],
    [1, "90%"],
    [2, "99%"],
    [3, "99.9%"],
    [4, "99.99%"],
  ] as const) {
    const position = margin.left + (nines / maxNines) * plotWidth;
    parts.push(
      `<line x1="${position}" x2="${position}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#e5e7eb"/>`,
      `<text x="${position}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 15}" text-anchor="middle">percentile</text>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#9ca3af"/>`,
  );
  const colorOf = new Map<string, string>();
  series.forEach((entry, index) => {
    const group = entry.label.split(":")[0] ?? entry.label;
    if (!colorOf.has(group)) colorOf.set(group, palette[colorOf.size % palette.length] as string);
    const color = colorOf.get(group) as string;
    const dashed = entry.label.includes("baseline");
    const points = entry.points.map((point) => `${x(point.percentile).toFixed(1)},${y(point.ms).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    const legendY = margin.top + 10 + index * 20;
    const legendX = margin.left + plotWidth + 15;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 24}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="${legendX + 30}" y="${legendY + 4}">${escapeXml(entry.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
