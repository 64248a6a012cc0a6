// What every tab exports, wired once: a plot's data as CSV, its picture as PNG, and as JSON with the run's
// result document (configuration, provenance, summary, curves; asked of the worker when the button is
// pressed), and recorded grids (heat maps, loss landscapes) as JSON or long CSV.

import { canvasToPNG, download } from './plot.js';

const json = (value) => new Blob([JSON.stringify(value, null, 1)], { type: 'application/json' });

// The tab's [data-csv], [data-png] and [data-json] buttons for `plots` (name -> LinePlot), saved as
// `${prefix}-${name}.csv|png|json`. `extra()` adds fields to the JSON (e.g. the summary on screen).
export function wireExports(ctx, plots, prefix, extra = () => ({})) {
  const { section } = ctx;
  const each = (attr, save) => {
    for (const b of section.querySelectorAll(`[data-${attr}]`)) {
      b.addEventListener('click', () => {
        const name = b.dataset[attr];
        if (plots[name]) save(name, plots[name]);
      });
    }
  };
  each('csv', (name, p) => download(`${prefix}-${name}.csv`, new Blob([p.toCSV()], { type: 'text/csv' })));
  each('png', (name, p) => canvasToPNG(p.canvas, `${prefix}-${name}.png`));
  each('json', async (name, p) => {
    const document = await ctx.ask('document').catch(() => null);
    download(`${prefix}-${name}.json`, json({ ...p.toJSON(), ...extra(), ...(document ? { document } : {}) }));
  });
}

// Grids (name -> res×res values, row-major, first row = top) as JSON or as long CSV `map,row,col,x,y,value`
// on [-span, span]² (x to the right, y up).
export function exportGrids(name, grids, res, span, extra, asCsv) {
  if (asCsv) {
    const rows = ['map,row,col,x,y,value'];
    const at = (i) => -span + (2 * span * i) / (res - 1);
    for (const [g, values] of Object.entries(grids)) {
      for (let r = 0; r < res; r++) for (let c = 0; c < res; c++) rows.push(`${JSON.stringify(g)},${r},${c},${at(c)},${at(res - 1 - r)},${values[r * res + c]}`);
    }
    download(`${name}.csv`, new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }));
  } else {
    const out = { res, span, rows: 'row-major, first row at y = +span', ...extra, maps: Object.fromEntries(Object.entries(grids).map(([k, v]) => [k, Array.from(v)])) };
    download(`${name}.json`, new Blob([JSON.stringify(out)], { type: 'application/json' }));
  }
}
