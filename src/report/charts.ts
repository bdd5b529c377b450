// Vega-Lite specs for the report's kinds of chart. Data arrive pre-aggregated (a few hundred rows at most), so
// every spec is small and renders in milliseconds whatever the crawl's size.
import type { TopLevelSpec } from 'vega-lite';
import { CHART_HEIGHT_PX, CHART_WIDTH_PX } from './theme.js';

export type Row = Record<string, string | number | boolean | null>;
export interface ColorScale { domain: string[]; range: string[] }
type Scale = 'linear' | 'log' | 'symlog';

interface Axis { field: string; title: string; scale?: Scale; format?: string }

export interface LineSpec {
  data: Row[];
  x: Axis;
  y: Axis;
  /** Field that splits the rows into lines, and its colours. */
  series?: { field: string; title: string; colors: ColorScale };
  /** Draw as steps (a CDF or a survival curve). */
  step?: boolean;
  /** Dashed horizontal reference lines. */
  rules?: Array<{ y: number; label: string }>;
  width?: number;
  height?: number;
  title?: string;
}

const scaleOf = (s: Scale | undefined, zero: boolean) => (s === 'log' ? { type: 'log' as const } : s === 'symlog' ? { type: 'symlog' as const } : { zero });

function axisEnc(a: Axis, zero: boolean) {
  return { field: a.field, type: 'quantitative' as const, title: a.title, scale: scaleOf(a.scale, zero), ...(a.format ? { axis: { format: a.format } } : {}) };
}

function lineLayer(s: LineSpec) {
  return {
    mark: { type: 'line' as const, interpolate: s.step ? ('step-after' as const) : ('linear' as const), strokeWidth: 1.8 },
    encoding: {
      x: axisEnc(s.x, false),
      y: axisEnc(s.y, true),
      ...(s.series ? { color: { field: s.series.field, type: 'nominal' as const, title: s.series.title, scale: s.series.colors, sort: s.series.colors.domain } } : {}),
    },
  };
}

/** One or more lines over a shared x axis. */
export function lineChart(s: LineSpec): TopLevelSpec {
  const layers: object[] = [lineLayer(s)];
  if (s.rules && s.rules.length > 0) {
    layers.push({
      data: { values: s.rules },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 4], color: '#999' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#666', fontSize: 10 }, encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } } },
      ],
    });
  }
  return {
    ...(s.title ? { title: s.title } : {}),
    width: s.width ?? CHART_WIDTH_PX, height: s.height ?? CHART_HEIGHT_PX,
    data: { values: s.data },
    layer: layers,
  } as TopLevelSpec;
}

export interface HistogramSpec {
  /** One row per bin: [lo, hi) and its count (and a series field if split). */
  data: Row[];
  lo: string; hi: string; count: string;
  xTitle: string; yTitle: string;
  xLog?: boolean;
  series?: { field: string; title: string; colors: ColorScale };
  width?: number; height?: number; title?: string;
}

/** Pre-binned histogram; bins may be log-spaced (drawn on a log axis). Split series are stacked. */
export function histogram(s: HistogramSpec): TopLevelSpec {
  return {
    ...(s.title ? { title: s.title } : {}),
    width: s.width ?? CHART_WIDTH_PX, height: s.height ?? CHART_HEIGHT_PX,
    data: { values: s.data },
    mark: { type: 'rect', stroke: 'white', strokeWidth: 0.3 },
    encoding: {
      x: { field: s.lo, type: 'quantitative', title: s.xTitle, scale: s.xLog ? { type: 'log' } : { zero: false } },
      x2: { field: s.hi },
      y: { field: s.count, type: 'quantitative', title: s.yTitle, stack: 'zero' },
      ...(s.series ? { color: { field: s.series.field, type: 'nominal', title: s.series.title, scale: s.series.colors, sort: s.series.colors.domain } } : { color: { value: '#0072B2' } }),
    },
  } as TopLevelSpec;
}

export interface BarSpec {
  data: Row[];
  /** Category on the y axis, in the order of `order` (else by value, largest first). */
  category: { field: string; title: string; order?: string[] };
  value: { field: string; title: string; format?: string; scale?: Scale };
  colors?: { field: string; scale: ColorScale; title: string };
  /** Small multiples side by side, one per value of this field. */
  column?: { field: string; title: string };
  /** Text beside each bar. */
  label?: string;
  width?: number; title?: string;
}

/** Horizontal bars, one per category; height follows the number of categories. */
export function barChart(s: BarSpec): TopLevelSpec {
  const cats = new Set(s.data.map((r) => String(r[s.category.field])));
  const height = Math.max(40, 18 * cats.size);
  // An explicit order (not a sort by value) so that the bar and label layers share one domain.
  const byValue = () => [...s.data].sort((a, b) => Number(b[s.value.field]) - Number(a[s.value.field])).map((r) => String(r[s.category.field]));
  const order = s.category.order ?? [...new Set(byValue())];
  const encoding = {
    y: { field: s.category.field, type: 'nominal', title: s.category.title, sort: order, axis: { labelLimit: 240 } },
    x: { field: s.value.field, type: 'quantitative', title: s.value.title, scale: scaleOf(s.value.scale, true), ...(s.value.format ? { axis: { format: s.value.format } } : {}) },
    color: s.colors ? { field: s.colors.field, type: 'nominal', title: s.colors.title, scale: s.colors.scale, legend: null } : { value: '#0072B2' },
  };
  const inner = {
    width: s.width ?? (s.column ? Math.round(CHART_WIDTH_PX / 2) : CHART_WIDTH_PX), height,
    layer: [
      { mark: { type: 'bar' }, encoding },
      ...(s.label ? [{ mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' }, encoding: { y: encoding.y, x: encoding.x, text: { field: s.label } } }] : []),
    ],
  };
  if (!s.column) return { ...(s.title ? { title: s.title } : {}), data: { values: s.data }, ...inner } as TopLevelSpec;
  return {
    ...(s.title ? { title: s.title } : {}),
    data: { values: s.data },
    facet: { column: { field: s.column.field, type: 'nominal', title: s.column.title } },
    spec: inner,
    resolve: { scale: { x: 'independent' } },
  } as TopLevelSpec;
}

export interface PointSpec {
  data: Row[];
  x: Axis; y: Axis;
  color?: { field: string; title: string; colors: ColorScale };
  rules?: Array<{ y: number; label: string }>;
  width?: number; height?: number; title?: string;
}

/** Scatter of small points, with optional dashed horizontal references. */
export function pointChart(s: PointSpec): TopLevelSpec {
  const pts = {
    mark: { type: 'point', filled: true, size: 10, opacity: 0.8 },
    encoding: {
      x: axisEnc(s.x, false), y: axisEnc(s.y, true),
      ...(s.color ? { color: { field: s.color.field, type: 'nominal', title: s.color.title, scale: s.color.colors, sort: s.color.colors.domain } } : {}),
    },
  };
  const rules = s.rules && s.rules.length > 0 ? [{
    data: { values: s.rules },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 4], color: '#777' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      { mark: { type: 'text', align: 'right', dy: -6, color: '#555', fontSize: 10 }, encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: s.width ?? CHART_WIDTH_PX }, text: { field: 'label' } } },
    ],
  }] : [];
  return {
    ...(s.title ? { title: s.title } : {}),
    width: s.width ?? CHART_WIDTH_PX, height: s.height ?? CHART_HEIGHT_PX,
    data: { values: s.data },
    layer: [pts, ...rules],
  } as TopLevelSpec;
}

/** Charts side by side, each keeping its own scales and legends. */
export function sideBySide(specs: TopLevelSpec[], title?: string): TopLevelSpec {
  const strip = (s: TopLevelSpec) => { const { $schema: _drop, config: _cfg, ...rest } = s as TopLevelSpec & { $schema?: string }; return rest; };
  return { ...(title ? { title } : {}), hconcat: specs.map(strip), resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } } } as TopLevelSpec;
}
