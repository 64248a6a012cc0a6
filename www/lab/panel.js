// The page's tab bar and experiment panels, built from the views' tab descriptors (lab/views.js), so that a
// new experiment's page side is one view file. A view module exports
//
//   export const tab = {
//     kind: 'lth',                        the worker's `kind`, the link's `tab=`, ids #tabbtn-lth and #tab-lth
//     label: 'Dynamical lottery ticket',  the tab button
//     title: 'Dynamical lottery ticket',  the panel's heading (default: the label)
//     fields: `<label data-field="seed">…<input name="seed" …></label>…`,  the settings; their static
//                                         values are the default preset's (tests/presets.rs checks them)
//     formEnd: `…`,                       optional: more of the form below the settings (a file input, hints)
//     body: `…`,                          the results, explanation and exercises below the form
//     create: createLth,                  the view's factory, called with the controller's ctx (lab/controller.js)
//   };
//
// The markup is the view's own constant text (never anything from the link or a file). The shell builds it
// synchronously before it reads the link, so the first paint already shows the linked tab and values.

// The export buttons of a plot: any of 'csv', 'json', 'png'.
const EXPORT_LABELS = { csv: 'CSV', json: 'JSON', png: 'PNG' };
export const exportButtons = (name, kinds) => `<span class="exports">${kinds
  .map((k) => `<button type="button" class="link" data-${k}="${name}">${EXPORT_LABELS[k]}</button>`)
  .join('\n        ')}</span>`;

// A plot with its caption and export buttons. The canvas is an image for assistive technology: named by
// `label`, or described by the element whose id is `describedby` (a text alternative that follows the run).
export function plotFigure(name, { label, describedby, caption, exports = ['csv', 'png'], cls = 'plot' }) {
  const a11y = describedby ? `aria-describedby="${describedby}"` : `aria-label="${label}"`;
  return `<figure class="${cls}">
      <canvas data-plot="${name}" role="img" ${a11y}></canvas>
      <figcaption>${caption}
        ${exportButtons(name, exports)}</figcaption>
    </figure>`;
}

function tabButton({ kind, label }, selected) {
  return `<button role="tab" id="tabbtn-${kind}" aria-controls="tab-${kind}" data-tab="${kind}" `
    + `aria-selected="${selected}"${selected ? '' : ' tabindex="-1"'}>${label}</button>`;
}

function panel({ kind, label, title = label, fields, formEnd = '', body }, shown) {
  return `<section class="experiment" id="tab-${kind}" role="tabpanel" aria-labelledby="tabbtn-${kind}" data-exp="${kind}"${shown ? '' : ' hidden'}>
  <h2>${title}</h2>
  <form class="controls" novalidate>
    <fieldset class="params">
      <legend class="sr-only">settings</legend>
      ${fields}
    </fieldset>
    ${formEnd}
    <div class="actions" data-role="actions"></div>
  </form>
  <div data-role="error" class="error" role="alert" hidden></div>
  ${body}
</section>`;
}

const fragment = (html) => {
  const t = document.createElement('template');
  t.innerHTML = html;
  return t.content;
};

// Fills the tab list and the panels' container with every view's tab button and panel, the first selected.
export function buildTabs(views, tablist, panels) {
  tablist.replaceChildren(fragment(views.map((v, i) => tabButton(v, i === 0)).join('\n')));
  panels.replaceChildren(fragment(views.map((v, i) => panel(v, i === 0)).join('\n\n')));
}
