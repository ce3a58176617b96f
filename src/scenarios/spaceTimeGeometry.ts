/**
 * The space-time diagram's horizontal geometry and its style (report.ts draws it; the
 * playground styles it the same and lays its "now" line over it), in a module of their own
 * so that the page needs no part of the renderer.
 */
export const DIAGRAM_WIDTH = 1100;
/** Where the time axis begins: the lane names sit to its left. */
export const DIAGRAM_LEFT = 110;

/** The x of instant `t` (microseconds) on a diagram whose run ends at `end`. */
export function diagramX(t: number, end: number): number {
  return DIAGRAM_LEFT + ((DIAGRAM_WIDTH - DIAGRAM_LEFT - 20) * t) / Math.max(1, end);
}

/** The space-time diagram's own rules: the report's page and the playground both style it with these. */
export const DIAGRAM_STYLE = `
svg .bg { fill: #fbfbfd; } svg .tick { stroke: #e4e4ea; } svg .axis { font-size: 10px; fill: #888; text-anchor: middle; }
svg .lane { font-size: 12px; fill: #333; } svg .lane-line { stroke: #c9c9d2; stroke-width: 1.5; }
svg .band.down { fill: #e5484d; opacity: .35; } svg .band.paused { fill: #f5a524; opacity: .35; } svg .band.cut { fill: #6e56cf; opacity: .22; } svg .band.active { fill: #30a46c; opacity: .25; }
svg .arrow { stroke: #0a7; stroke-width: 1.2; opacity: .8; } svg .arrowhead { fill: #0a7; }
svg .event { fill: #1f6feb; stroke: #fff; stroke-width: 1.5; }
svg .drain { fill: #8a8a99; opacity: .08; } svg .drain-start { stroke: #8a8a99; stroke-dasharray: 4 3; } svg .drain-label { font-size: 10px; fill: #666; }
`;
