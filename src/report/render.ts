// Vega-Lite spec -> SVG (vega's headless SVG renderer) -> PNG (resvg), with the one embedded font.
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, FONT_FILE, PNG_SCALE, VEGA_CONFIG } from './theme.js';

const fontPath = createRequire(import.meta.url).resolve(FONT_FILE);

/** The figure as a standalone SVG document. Same data, same bytes: no timestamps or random ids. */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...VEGA_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new View(parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The SVG drawn to PNG at PNG_SCALE, with no system fonts (the same pixels on every machine). */
export function svgToPng(svg: string): Uint8Array {
  const r = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: [fontPath], defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: PNG_SCALE },
  });
  return r.render().asPng();
}
