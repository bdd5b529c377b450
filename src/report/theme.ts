// One look for every figure: the font the PNG renderer embeds, sizes, and a colour per category that does not
// change between figures or runs.
import type { Config } from 'vega-lite';

/** The only font the figures use; render.ts hands resvg this very file, so SVG and PNG measure text alike. */
export const FONT_FAMILY = 'DejaVu Sans';
export const FONT_FILE = 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf';

/** Plot area of a single chart, px; wide enough for a paper column at 2x. */
export const CHART_WIDTH_PX = 640;
export const CHART_HEIGHT_PX = 300;
/** PNGs are drawn at twice the SVG's size: sharp when printed or shown on a dense screen. */
export const PNG_SCALE = 2;

export const VEGA_CONFIG: Config = {
  background: 'white',
  font: FONT_FAMILY,
  padding: 8,
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e4e4e4' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 260 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 13, fontWeight: 'normal', anchor: 'start' },
  view: { stroke: null },
};

/** Okabe-Ito (colour-blind safe; its yellow last, faint on white), then Tableau 10 for more categories. */
export const PALETTE: readonly string[] = [
  '#000000', '#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9',
  '#9C755F', '#E15759', '#B07AA1', '#76B7B2', '#EDC948', '#FF9DA7', '#4E79A7', '#F28E2B', '#59A14F', '#BAB0AC', '#F0E442',
];
export const GREY = '#9a9a9a';

/**
 * Colour of a category: categories listed in `fixed` (the known networks, in one stable order) keep their slot
 * in every figure; any other name gets a slot from a hash of its text, so it too keeps its colour across figures
 * and runs.
 */
export function colorOf(name: string, fixed: readonly string[]): string {
  const i = fixed.indexOf(name);
  if (i >= 0) return PALETTE[i % PALETTE.length]!;
  let h = 2166136261;
  for (let k = 0; k < name.length; k++) h = Math.imul(h ^ name.charCodeAt(k), 16777619);
  // Hashed names take the slots after the listed ones, never the faint yellow at the end (unless nothing else is left).
  const free = Math.max(1, PALETTE.length - 1 - fixed.length);
  return PALETTE[Math.min(PALETTE.length - 1, fixed.length + ((h >>> 0) % free))]!;
}

/** A vega-lite colour scale for these names: domain in the order given, each name's own colour. */
export function colorScale(names: readonly string[], fixed: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...names], range: names.map((n) => colorOf(n, fixed)) };
}
