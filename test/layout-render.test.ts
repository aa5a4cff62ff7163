/**
 * The SDK's LayoutRenderer in headless Chromium: canvas streams of solid colours rendered from
 * `computeLayout` layers; a screenshot (decoded to raw RGB by ffmpeg) shows every tile where its
 * layer says, in its member's colour. Re-layouts keep the same <video> elements; a muted video
 * shows the placeholder; destroy() leaves the root empty.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { computeLayout, layerToPixels, type LayoutMember, type VideoLayoutLayer } from '../packages/protocol/src/index.js';
import { bundleSdk, launchChromium, newEndpointPage } from './helpers/browser.js';
import { waitFor } from './helpers/server.js';

const CANVAS = { width: 1280, height: 720 };
type Rgb = [number, number, number];
const COLOURS: Record<string, Rgb> = { red: [255, 0, 0], green: [0, 255, 0], blue: [0, 0, 255], yellow: [255, 255, 0] };
/** The renderer's placeholder background (#2b2b2b). */
const PLACEHOLDER: Rgb = [0x2b, 0x2b, 0x2b];
const BLACK: Rgb = [0, 0, 0];

let browser: Browser;
let page: Page;
before(async () => {
  const bundle = await bundleSdk();
  browser = await launchChromium();
  page = await newEndpointPage(browser, { viewport: CANVAS, deviceScaleFactor: 1 });
  await page.setContent(
    `<!doctype html><html><body style="margin:0;background:#000"><div id="root" style="width:${CANVAS.width}px;height:${CANVAS.height}px"></div></body></html>`,
  );
  await page.addScriptTag({ content: bundle });
  // One canvas stream per member, repainted so the capture keeps delivering frames.
  await page.evaluate((colours: Record<string, Rgb>) => {
    const streams: Record<string, MediaStream> = {};
    for (const [id, [r, g, b]] of Object.entries(colours)) {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const context = canvas.getContext('2d');
      if (!context) throw new Error('no 2d context');
      const paint = (): void => {
        context.fillStyle = `rgb(${r}, ${g}, ${b})`;
        context.fillRect(0, 0, canvas.width, canvas.height);
      };
      paint();
      setInterval(paint, 50);
      streams[`${id}:camera`] = canvas.captureStream(20);
    }
    (window as unknown as { streams: Record<string, MediaStream> }).streams = streams;
    const sdk = (window as unknown as { AtriumSdk: typeof import('../packages/sdk/src/index.js') }).AtriumSdk;
    const root = document.getElementById('root');
    if (!root) throw new Error('no root');
    (window as unknown as { renderer: unknown }).renderer = new sdk.LayoutRenderer({ root, getStream: (memberId, tag) => streams[`${memberId}:${tag}`] });
  }, COLOURS);
});
after(async () => {
  await browser?.close();
});

function member(id: string, order: number, extra: Partial<LayoutMember> = {}): LayoutMember {
  return { memberId: id, name: id, order, visible: true, audioMuted: false, videoMuted: false, ...extra };
}

interface PageRenderer {
  render(layers: VideoLayoutLayer[]): void;
  destroy(): void;
  tileOf(memberId: string): HTMLElement | undefined;
}

/** Renders layers in the page and waits until every shown video has a decoded frame. */
async function render(layers: VideoLayoutLayer[]): Promise<void> {
  await page.evaluate((l) => (window as unknown as { renderer: PageRenderer }).renderer.render(l), layers);
  await waitFor('videos playing', () =>
    page.evaluate(() =>
      [...document.querySelectorAll('video')].every((v) => v.srcObject === null || (v.readyState >= 2 && v.videoWidth > 0)),
    ),
  );
}

/** A screenshot as raw RGB (ffmpeg decodes the PNG). */
async function screenshot(): Promise<{ at(x: number, y: number): Rgb }> {
  const png = await page.screenshot({ type: 'png' });
  const decoded = spawnSync('ffmpeg', ['-v', 'error', '-f', 'png_pipe', '-i', '-', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    input: png,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(decoded.status, 0, decoded.stderr?.toString());
  const raw = decoded.stdout;
  assert.equal(raw.length, CANVAS.width * CANVAS.height * 3);
  return {
    at(x, y) {
      const i = (y * CANVAS.width + x) * 3;
      return [raw[i] ?? -1, raw[i + 1] ?? -1, raw[i + 2] ?? -1];
    },
  };
}

const near = (a: Rgb, b: Rgb, tolerance = 40): boolean => a.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= tolerance);

/** Walks from the tile's centre in each direction while the colour holds: the painted rectangle. */
function paintedRect(shot: { at(x: number, y: number): Rgb }, cx: number, cy: number, colour: Rgb) {
  const walk = (dx: number, dy: number): number => {
    let x = cx;
    let y = cy;
    while (x + dx >= 0 && x + dx < CANVAS.width && y + dy >= 0 && y + dy < CANVAS.height && near(shot.at(x + dx, y + dy), colour)) {
      x += dx;
      y += dy;
    }
    return dx !== 0 ? x : y;
  };
  return { left: walk(-1, 0), right: walk(1, 0), top: walk(0, -1), bottom: walk(0, 1) };
}

/** Every on-canvas layer is painted in its member's colour exactly over its rectangle (±2 px). */
async function assertTiles(layers: VideoLayoutLayer[], colourOf: (memberId: string) => Rgb): Promise<void> {
  const shown = layers.filter((l) => l.visible && l.memberId);
  await waitFor('tiles painted', async () => {
    const shot = await screenshot();
    for (const layer of shown) {
      const memberId = layer.memberId ?? '';
      const px = layerToPixels(layer, CANVAS);
      const cx = px.x + Math.floor(px.width / 2);
      const cy = px.y + Math.floor(px.height / 2);
      const colour = colourOf(memberId);
      const centre = shot.at(cx, cy);
      assert.ok(near(centre, colour), `${memberId}: centre pixel ${centre} is not ${colour}`);
      const rect = paintedRect(shot, cx, cy, colour);
      const expected = { left: px.x, right: px.x + px.width - 1, top: px.y, bottom: px.y + px.height - 1 };
      for (const side of ['left', 'right', 'top', 'bottom'] as const) {
        assert.ok(Math.abs(rect[side] - expected[side]) <= 2, `${memberId}: ${side} edge at ${rect[side]}, layer says ${expected[side]}`);
      }
    }
    return true;
  }, 15_000, 250);
}

test('a 2x2 layout of four colour streams: each tile is where its layer says', async () => {
  const members = ['red', 'green', 'blue', 'yellow'].map((id, i) => member(id, i));
  const layers = computeLayout('2x2', members, {}, CANVAS);
  await render(layers);
  await assertTiles(layers, (id) => COLOURS[id] as Rgb);
  assert.deepEqual(
    await page.evaluate(() => [...document.querySelectorAll('.atrium-layout-tile')].map((t) => `${t.getAttribute('data-member-id')}:${t.querySelector('.atrium-layout-name')?.textContent}`)),
    ['red:red', 'green:green', 'blue:blue', 'yellow:yellow'],
    'each tile is labelled with its name',
  );
});

test('re-layout moves the same video elements; a left member is removed; background shows around a centred row', async () => {
  await page.evaluate(() => {
    (window as unknown as { before: Element[] }).before = [...document.querySelectorAll('video')];
  });
  const members = ['red', 'green', 'blue'].map((id, i) => member(id, i));
  const layers = computeLayout('grid-responsive', members, {}, CANVAS);
  await render(layers);
  await assertTiles(layers, (id) => COLOURS[id] as Rgb);
  const reuse = await page.evaluate(() => {
    const before = (window as unknown as { before: Element[] }).before;
    const now = [...document.querySelectorAll('video')];
    return { count: now.length, kept: now.every((v) => before.includes(v)) };
  });
  assert.deepEqual(reuse, { count: 3, kept: true });
  const shot = await screenshot();
  assert.ok(near(shot.at(100, 540), BLACK), 'left of the centred last row is background');

  // The speaker in a highlight layout: blue takes the large tile.
  const highlight = computeLayout('highlight-1-responsive', members, {}, CANVAS, { activeSpeakerId: 'blue' });
  await render(highlight);
  await assertTiles(highlight, (id) => COLOURS[id] as Rgb);
  assert.equal(highlight[0]?.memberId, 'blue');
});

test('a video-muted or not yet available stream shows the placeholder; refresh() attaches late media; destroy() leaves the root empty', async () => {
  const members = [member('red', 0), member('green', 1, { videoMuted: true, name: '' })];
  const layers = computeLayout('2x1', members, {}, CANVAS);
  await render(layers);
  await assertTiles(layers, (id) => (id === 'green' ? PLACEHOLDER : (COLOURS[id] as Rgb)));
  assert.equal(await page.evaluate(() => document.querySelector('[data-member-id="green"]')?.getAttribute('data-video-muted')), 'true');

  // A stream whose media arrives after the layout: placeholder first, its video after refresh().
  const withLate = computeLayout('2x1', [member('red', 0), member('late', 1, { name: '' })], {}, CANVAS);
  await render(withLate);
  await assertTiles(withLate, (id) => (id === 'late' ? PLACEHOLDER : (COLOURS[id] as Rgb)));
  await page.evaluate(() => {
    const w = window as unknown as { streams: Record<string, MediaStream>; renderer: PageRenderer & { refresh(): void } };
    const blue = w.streams['blue:camera'];
    if (blue) w.streams['late:camera'] = blue;
    w.renderer.refresh();
  });
  await assertTiles(withLate, (id) => (id === 'late' ? (COLOURS.blue as Rgb) : (COLOURS[id] as Rgb)));

  await page.evaluate(() => (window as unknown as { renderer: PageRenderer }).renderer.destroy());
  assert.equal(await page.evaluate(() => document.getElementById('root')?.childElementCount), 0);
});
