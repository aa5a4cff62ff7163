/**
 * @module Layouts: the wire types of positions and layers, and the pure layout function shared by
 * the server, the SDK renderer and the egress compositor.
 */
export * from './types.js';
export { bestGrid, layoutSlots, layoutPriority, type LayoutSlot, type LayoutPriority } from './geometry.js';
export { computeLayout, layerToPixels, layoutStreamKey, DEFAULT_STREAM_TAG } from './compute-layout.js';
