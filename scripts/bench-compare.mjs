#!/usr/bin/env node
/**
 * Joins two harness summaries (Distribution, Wharf) into one markdown table with the ratio
 * Wharf / Distribution per metric, then appends Wharf's extra figures and the micro-benchmarks.
 * Usage: bench-compare.mjs distribution/summary.md wharf/summary.md extra.txt micro.md
 */
import { existsSync, readFileSync } from 'node:fs';

const [distFile, wharfFile, extraFile, microFile] = process.argv.slice(2);
function metrics(file) {
  const m = new Map();
  if (!existsSync(file)) return m;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length === 7 && /^[a-z0-9_]+$/i.test(cells[1]) && !Number.isNaN(Number(cells[2]))) {
      m.set(cells[1], { median: Number(cells[2]), min: cells[3], max: cells[4], n: cells[5] });
    }
  }
  return m;
}
const dist = metrics(distFile);
const wharf = metrics(wharfFile);
const keys = [...new Set([...dist.keys(), ...wharf.keys()])];
const fmt = (v) => (v === undefined ? '—' : Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, ''));
const lines = [
  '# Wharf vs CNCF Distribution 2.8.2 (same machine, same run)',
  '',
  `- Distribution: ${distFile}; Wharf: ${wharfFile}`,
  '- ratio = Wharf / Distribution (higher is better for MB/s, req/s, per_s; lower for s, ms, cpu)',
  '',
  '| metric | Distribution (median) | Wharf (median) | ratio |',
  '|---|---|---|---|',
];
for (const k of keys) {
  const d = dist.get(k)?.median;
  const w = wharf.get(k)?.median;
  const ratio = d && w !== undefined ? (w / d).toFixed(2) : '—';
  lines.push(`| ${k} | ${fmt(d)} | ${fmt(w)} | ${ratio} |`);
}
if (extraFile && existsSync(extraFile)) {
  lines.push('', '## Wharf only', '', '```', readFileSync(extraFile, 'utf8').trim(), '```');
}
if (microFile && existsSync(microFile)) lines.push('', readFileSync(microFile, 'utf8').trim());
process.stdout.write(`${lines.join('\n')}\n`);
