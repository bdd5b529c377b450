// index.html: one self-contained page (figures inline as SVG, no script, no network), readable from disk.
import type { Figure } from './figure.js';

export interface ReportHeader {
  title: string;
  /** Key facts shown under the title: database, crawls, time span, tool version. */
  facts: Array<[string, string]>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An inline SVG must not carry its XML prolog, and its ids must stay unique within the page. */
function inlineSvg(svg: string, id: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/\bid="([^"]+)"/g, `id="${id}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${id}-$1)`)
    .replace(/(xlink:)?href="#([^"]+)"/g, (_m, x: string | undefined, ref: string) => `${x ?? ''}href="#${id}-${ref}"`);
}

const STYLE = `body{font:15px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;color:#222}
h1{font-size:1.5em;margin:0 0 .4em}h2{font-size:1.15em;margin:2em 0 .3em}
table.facts{border-collapse:collapse;margin:.5em 0 1em}table.facts td{padding:.15em 1em .15em 0;vertical-align:top}
table.facts td:first-child{color:#666}nav ol{columns:2;padding-left:1.4em}
p.def{margin:.2em 0}p.n{margin:.2em 0;color:#555}p.files{font-size:.9em;color:#555}
figure{margin:.6em 0;overflow-x:auto}figure svg{max-width:100%;height:auto}p.missing{color:#a33}`;

export function renderHtml(h: ReportHeader, figures: readonly Figure[], svgs: ReadonlyMap<string, string>): string {
  const toc = figures.map((f) => `<li><a href="#${f.id}">${esc(f.title)}</a></li>`).join('');
  const body = figures.map((f) => {
    const svg = svgs.get(f.id);
    const links = [
      ...(svg ? [`<a href="${f.id}.svg">SVG</a>`, `<a href="${f.id}.png">PNG</a>`] : []),
      ...f.tables.map((t) => `<a href="${t.name}.csv">${esc(t.name)}.csv</a>`),
    ].join(' · ');
    return `<section id="${f.id}"><h2>${esc(f.title)}</h2><p class="def">${esc(f.definition)}</p><p class="n">n = ${esc(f.n)}</p>` +
      (svg ? `<figure data-figure="${f.id}">${inlineSvg(svg, f.id)}</figure>` : `<p class="missing">${esc(f.missing ?? 'no data')}</p>`) +
      (links ? `<p class="files">${links}</p>` : '') + `</section>`;
  }).join('\n');
  const facts = h.facts.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(h.title)}</title><style>${STYLE}</style></head>
<body><h1>${esc(h.title)}</h1><table class="facts">${facts}</table><nav><ol>${toc}</ol></nav>
${body}
</body></html>
`;
}
