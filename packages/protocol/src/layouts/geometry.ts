/**
 * @module The positions (slots) each layout offers, in percent of the canvas. Fixed layouts
 * (`2x2`, `5up`, …) always offer the same slots; responsive ones are shaped for the number of
 * streams to show and the canvas's aspect ratio.
 */
import type { CompositionLayout, LayoutCanvas, LayoutName, LayoutSpec } from './types.js';

/** A position a layout offers: `reserved-n` (featured) or `standard-n`, with its rectangle. */
export interface LayoutSlot {
  reservation: `reserved-${number}` | `standard-${number}`;
  x: number;
  y: number;
  width: number;
  height: number;
  zIndex: number;
}

/** How auto-placed streams are ordered before they fill the slots. */
export type LayoutPriority = 'join' | 'speaker' | 'pin' | 'screen';

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const FULL: Rect = { x: 0, y: 0, width: 100, height: 100 };
/** Width (percent) of the featured area beside a sidebar. */
const MAIN_WIDTH = 75;
/** Sidebar tiles are at most a quarter of the height; more than this many do not fit. */
const SIDEBAR_CAPACITY = 8;
/** grid-responsive shows at most a 10x10 grid. */
const RESPONSIVE_GRID_CAPACITY = 100;
/** Aspect ratio responsive grids optimise tiles for. */
const TILE_ASPECT = 16 / 9;

const fixedGrids: Partial<Record<LayoutName, [cols: number, rows: number]>> = {
  '1x1': [1, 1],
  '2x1': [2, 1],
  '2x2': [2, 2],
  '3x3': [3, 3],
  '4x4': [4, 4],
  '5x5': [5, 5],
  '6x6': [6, 6],
  '8x8': [8, 8],
  '10x10': [10, 10],
};

/** The `cols x rows` cells of an area, row by row; edges computed from integers so tiles meet exactly. */
function gridCells(area: Rect, cols: number, rows: number, count = cols * rows): Rect[] {
  const cells: Rect[] = [];
  const edge = (start: number, size: number, i: number, n: number): number => start + (size * i) / n;
  for (let row = 0; row < rows && cells.length < count; row++) {
    const inRow = Math.min(cols, count - row * cols);
    // A last row with fewer tiles is centred: same tile width, shifted by half the gap.
    const offset = ((cols - inRow) * area.width) / cols / 2;
    const y = edge(area.y, area.height, row, rows);
    const bottom = edge(area.y, area.height, row + 1, rows);
    for (let col = 0; col < inRow; col++) {
      const x = edge(area.x, area.width, col, cols) + offset;
      const right = edge(area.x, area.width, col + 1, cols) + offset;
      cells.push({ x, y, width: right - x, height: bottom - y });
    }
  }
  return cells;
}

/**
 * The columns and rows that give `count` tiles the largest 16:9 picture on this canvas; among
 * equals, fewer empty cells, then the shape that follows the canvas (more columns when landscape).
 */
export function bestGrid(count: number, canvas: LayoutCanvas): [cols: number, rows: number] {
  const landscape = canvas.width >= canvas.height;
  let best: [number, number] = [1, 1];
  let bestScore = -1;
  let bestEmpty = Number.POSITIVE_INFINITY;
  for (let cols = 1; cols <= Math.max(1, count); cols++) {
    const rows = Math.ceil(count / cols);
    const score = Math.min(canvas.width / cols, (canvas.height / rows) * TILE_ASPECT);
    const empty = cols * rows - count;
    const better =
      score > bestScore + 1e-9 ||
      (score > bestScore - 1e-9 && (empty < bestEmpty || (empty === bestEmpty && landscape)));
    if (better) {
      bestScore = score;
      bestEmpty = empty;
      best = [cols, rows];
    }
  }
  return best;
}

function slots(kind: 'reserved' | 'standard', rects: Rect[], first = 1): LayoutSlot[] {
  return rects.map(({ x, y, width, height }, i) => ({ reservation: `${kind}-${first + i}`, x, y, width, height, zIndex: 0 }));
}

function responsiveGrid(count: number, canvas: LayoutCanvas): LayoutSlot[] {
  const n = Math.min(count, RESPONSIVE_GRID_CAPACITY);
  if (n === 0) return [];
  const [cols, rows] = bestGrid(n, canvas);
  return slots('standard', gridCells(FULL, cols, rows, n));
}

/** `featured` large tiles side by side on the left, the rest stacked in a sidebar on the right. */
function withSidebar(count: number, featured: number, sidebarCapacity = SIDEBAR_CAPACITY): LayoutSlot[] {
  if (count === 0) return [];
  if (count <= featured) return slots('reserved', gridCells(FULL, count, 1));
  const main: Rect = { x: 0, y: 0, width: MAIN_WIDTH, height: 100 };
  const inSidebar = Math.min(count - featured, sidebarCapacity);
  const rows = Math.max(inSidebar, 4);
  const tileHeight = 100 / rows;
  const top = (100 - tileHeight * inSidebar) / 2;
  const sidebar: Rect = { x: MAIN_WIDTH, y: top, width: 100 - MAIN_WIDTH, height: tileHeight * inSidebar };
  return [...slots('reserved', gridCells(main, featured, 1)), ...slots('standard', gridCells(sidebar, 1, inSidebar))];
}

/** 5up: one large tile over 2x2 of a 3x3 grid, five small ones around it. */
function fiveUp(): LayoutSlot[] {
  const cells = gridCells(FULL, 3, 3);
  const at = (i: number): Rect => cells[i] as Rect;
  const big: Rect = { x: at(0).x, y: at(0).y, width: at(4).x + at(4).width, height: at(4).y + at(4).height };
  return [...slots('reserved', [big]), ...slots('standard', [at(2), at(5), at(6), at(7), at(8)])];
}

function compositionSlots(layout: CompositionLayout, count: number, canvas: LayoutCanvas): LayoutSlot[] {
  const shown = Math.min(count, layout.gridSize);
  switch (layout.type) {
    case 'GRID':
      return responsiveGrid(shown, canvas);
    case 'SPOTLIGHT':
      return shown === 0 ? [] : slots('reserved', [FULL]);
    case 'SIDEBAR':
      return withSidebar(shown, 1);
  }
}

/** The slots of a layout when `count` streams are to be shown, in fill order (reserved first). */
export function layoutSlots(spec: LayoutSpec, count: number, canvas: LayoutCanvas): LayoutSlot[] {
  if (typeof spec !== 'string') return compositionSlots(spec, count, canvas);
  const fixed = fixedGrids[spec];
  if (fixed) return slots('standard', gridCells(FULL, fixed[0], fixed[1]));
  switch (spec) {
    case 'grid-responsive':
      return responsiveGrid(count, canvas);
    case 'highlight-1-responsive':
    case 'screen-share':
      return withSidebar(count, 1);
    case 'highlight-2-responsive':
      return withSidebar(count, 2);
    case 'full-screen':
      return slots('reserved', [FULL]);
    case '5up':
      return fiveUp();
    case 'GRID':
    case 'SPOTLIGHT':
    case 'SIDEBAR':
      return compositionSlots({ type: spec, priority: 'SPEAKER', gridSize: 4 }, count, canvas);
    default:
      return slots('standard', gridCells(FULL, 1, 1));
  }
}

/** How a layout orders its auto-placed streams. */
export function layoutPriority(spec: LayoutSpec): LayoutPriority {
  if (typeof spec !== 'string') return spec.priority === 'PIN' ? 'pin' : 'speaker';
  switch (spec) {
    case 'screen-share':
      return 'screen';
    case 'highlight-1-responsive':
    case 'highlight-2-responsive':
    case 'full-screen':
    case 'GRID':
    case 'SPOTLIGHT':
    case 'SIDEBAR':
      return 'speaker';
    default:
      return 'join';
  }
}

/** Whether a speaker (or pin) ranks first in fill order, or only claims the last slot on overflow (grids). */
export function featuresFirst(spec: LayoutSpec): boolean {
  const type = typeof spec === 'string' ? spec : spec.type;
  return type !== 'GRID';
}
