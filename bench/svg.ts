/**
 * The chart for the README: throughput (million logits per second, log scale) by shape and
 * contender, one panel per mode, hand-written SVG with a legend and a tooltip on every bar.
 */
import { MODE_TITLE, formatRate, runtimeText, type RunReport, type TaskRecord } from './report.js';

type OkTask = Extract<TaskRecord, { status: 'ok' }>;

const PALETTE: Record<'xent' | 'peer' | 'floor', string[]> = {
  xent: ['#0b3d91', '#1f6fd1', '#5fa2ea', '#9cc7f4', '#c9e0fa'],
  peer: ['#d95f02', '#c2185b', '#7b5fb3', '#8c6d1f', '#2e8b57'],
  floor: ['#4d4d4d', '#9a9a9a'],
};

const W = 960;
const LEFT = 70;
const RIGHT = 20;
const PANEL_H = 300;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function tickLabel(v: number): string {
  return v >= 1000 ? `${v / 1000}k` : `${v}`;
}

/** Renders the run as an SVG document. */
export function chart(report: RunReport): string {
  const ok = report.tasks.filter((t): t is OkTask => t.status === 'ok');
  const ids = [...new Set(report.tasks.map((t) => t.contender))];
  const kindOf = new Map(report.tasks.map((t) => [t.contender, t.kind]));
  const used = { xent: 0, peer: 0, floor: 0 };
  const color = new Map(ids.map((id) => {
    const kind = kindOf.get(id) ?? 'peer';
    const list = PALETTE[kind];
    return [id, list[used[kind]++ % list.length]];
  }));
  const shapes = [...new Set(report.tasks.map((t) => t.shape))];
  const modes = (['loss', 'grad'] as const).filter((m) => report.tasks.some((t) => t.mode === m));
  const rates = ok.map((t) => t.mlogitsPerSec);
  const lo = Math.floor(Math.log10(Math.min(...rates, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...rates, 10)));

  // As many legend columns as the longest name allows (about 7 px per character at 12 px).
  const legendCols = Math.max(1, Math.floor((W - LEFT - RIGHT) / (Math.max(...ids.map((id) => id.length)) * 7 + 30)));
  const legendRows = Math.ceil(ids.length / legendCols);
  const top = 44 + legendRows * 18;
  const panelGap = 86;
  const H = top + modes.length * (PANEL_H + panelGap) + 14;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ${FONT} font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="600">Softmax cross-entropy throughput, million logits per second (log scale, higher is better)</text>`,
  ];
  ids.forEach((id, i) => {
    const x = LEFT + (i % legendCols) * ((W - LEFT - RIGHT) / legendCols);
    const y = 40 + Math.floor(i / legendCols) * 18;
    out.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${color.get(id)}"/>`);
    out.push(`<text x="${x + 17}" y="${y}">${esc(id)}</text>`);
  });

  const plotW = W - LEFT - RIGHT;
  const groupW = plotW / shapes.length;
  const barW = Math.max(2, Math.min(18, (groupW - 16) / ids.length));
  modes.forEach((mode, p) => {
    const y0 = top + p * (PANEL_H + panelGap) + 20;
    const y = (v: number) => y0 + PANEL_H * (1 - (Math.log10(v) - lo) / (hi - lo));
    out.push(`<text x="${LEFT}" y="${y0 - 8}" font-size="13" font-weight="600">${esc(MODE_TITLE[mode])}</text>`);
    for (let e = lo; e <= hi; e++) {
      const v = 10 ** e;
      out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>`);
      out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${tickLabel(v)}</text>`);
    }
    shapes.forEach((shape, g) => {
      const gx = LEFT + g * groupW + (groupW - barW * ids.length) / 2;
      ids.forEach((id, b) => {
        const t = report.tasks.find((x) => x.mode === mode && x.shape === shape && x.contender === id);
        const x = gx + b * barW;
        if (!t) return;
        if (t.status !== 'ok') {
          out.push(`<text x="${x + barW / 2}" y="${y0 + PANEL_H - 4}" text-anchor="middle" fill="#b00020" font-size="10">×<title>${esc(`${id}, ${shape}: ${t.status}`)}</title></text>`);
          return;
        }
        const top = y(t.mlogitsPerSec);
        const tip = `${id}, ${shape}: ${formatRate(t.mlogitsPerSec)} M logits/s, median ${t.medianMs.toPrecision(3)} ms ±${t.rme.toFixed(1)}%`;
        out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(y0 + PANEL_H - top).toFixed(1)}" fill="${color.get(id)}"><title>${esc(tip)}</title></rect>`);
      });
      const cx = LEFT + g * groupW + groupW / 2;
      out.push(`<text x="${cx}" y="${y0 + PANEL_H + 18}" text-anchor="middle" font-weight="600">${shape}</text>`);
      // The headline under each shape: the fastest xent row against the fastest peer.
      const best = ok
        .filter((t) => t.mode === mode && t.shape === shape && t.kind === 'xent')
        .sort((a, b) => b.mlogitsPerSec - a.mlogitsPerSec)[0];
      if (best?.vsBestPeer !== undefined) {
        const ratio = best.vsBestPeer >= 10 ? best.vsBestPeer.toFixed(0) : best.vsBestPeer.toFixed(1);
        // Two lines, so that long contender names do not run into the next shape's headline.
        out.push(`<text x="${cx}" y="${y0 + PANEL_H + 34}" text-anchor="middle" font-size="11" fill="${color.get(best.contender)}">${esc(`${ratio}× best peer`)}</text>`);
        out.push(`<text x="${cx}" y="${y0 + PANEL_H + 47}" text-anchor="middle" font-size="10" fill="${color.get(best.contender)}">${esc(best.contender)}</text>`);
      }
    });
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y0 + PANEL_H}" y2="${y0 + PANEL_H}" stroke="#888"/>`);
    out.push(`<text transform="translate(16 ${y0 + PANEL_H / 2}) rotate(-90)" text-anchor="middle" fill="#555">M logits/s</text>`);
  });
  const m = report.machine;
  out.push(`<text x="${LEFT}" y="${H - 12}" fill="#777" font-size="11">${esc(`${m.cpu}, ${runtimeText(m)}, ${report.date}; × = wrong answer or failed; hover a bar for median and margin of error`)}</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}
