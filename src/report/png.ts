// A tiny RGB raster (lines, rectangles, 5x7 bitmap text) and a PNG encoder on node:zlib.
// Enough for report plots without a graphics dependency.
import { deflateSync } from 'node:zlib';

export type Rgb = readonly [number, number, number];

/** The 8-byte PNG file signature. */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32([head.subarray(4), data]), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * 5x7 glyphs, one hex byte per row (bit 4 = leftmost column). Letters are upper case only;
 * text is upper-cased before drawing and unknown characters print as '?'.
 */
const FONT: Record<string, string> = {
  '0': '0e11131519110e', '1': '040c040404040e', '2': '0e11010204081f', '3': '1f02040201110e',
  '4': '02060a121f0202', '5': '1f101e0101110e', '6': '0608101e11110e', '7': '1f010204080808',
  '8': '0e11110e11110e', '9': '0e11110f01020c', A: '0e11111f111111', B: '1e11111e11111e',
  C: '0e11101010110e', D: '1c12111111121c', E: '1f10101e10101f', F: '1f10101e101010',
  G: '0e11101711110f', H: '1111111f111111', I: '0e04040404040e', J: '0702020202120c',
  K: '11121418141211', L: '1010101010101f', M: '111b1515111111', N: '11111915131111',
  O: '0e11111111110e', P: '1e11111e101010', Q: '0e11111115120d', R: '1e11111e141211',
  S: '0f10100e01011e', T: '1f040404040404', U: '1111111111110e', V: '11111111110a04',
  W: '1111111515150a', X: '11110a040a1111', Y: '1111110a040404', Z: '1f01020408101f',
  ' ': '00000000000000', '.': '00000000000c0c', ',': '000000000c0408', '-': '0000001f000000',
  '%': '18190204081303', '(': '02040808080402', ')': '08040202020408', '/': '00010204081000',
  ':': '000c0c000c0c00', '_': '0000000000001f', '=': '00001f001f0000', '+': '0004041f040400',
  '?': '0e110102040004', '<': '02040810080402', '>': '08040201020408',
};

export const GLYPH_W = 5;
export const GLYPH_H = 7;

/** An opaque RGB image. */
export class Canvas {
  readonly px: Uint8Array;
  constructor(readonly width: number, readonly height: number, background: Rgb = [255, 255, 255]) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new RangeError('bad canvas size');
    this.px = new Uint8Array(width * height * 3);
    for (let i = 0; i < this.px.length; i += 3) { this.px[i] = background[0]; this.px[i + 1] = background[1]; this.px[i + 2] = background[2]; }
  }

  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x); y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 3;
    this.px[o] = c[0]; this.px[o + 1] = c[1]; this.px[o + 2] = c[2];
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }

  /** A line `thick` pixels wide (Bresenham, stamping a square brush). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thick = 1): void {
    x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    const off = Math.floor((thick - 1) / 2);
    let err = dx + dy;
    for (;;) {
      if (thick <= 1) this.set(x0, y0, c); else this.rect(x0 - off, y0 - off, thick, thick, c);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }

  /** Width in pixels of `s` at `scale`. */
  static textWidth(s: string, scale = 1): number { return s.length === 0 ? 0 : (s.length * (GLYPH_W + 1) - 1) * scale; }

  /** Draws `s` with its top-left corner at (x, y); `vertical` runs it bottom-to-top. */
  text(x: number, y: number, s: string, c: Rgb, scale = 1, vertical = false): void {
    let pen = 0;
    for (const ch of s.toUpperCase()) {
      const g = FONT[ch] ?? FONT['?']!;
      for (let row = 0; row < GLYPH_H; row++) {
        const bits = parseInt(g.slice(row * 2, row * 2 + 2), 16);
        for (let col = 0; col < GLYPH_W; col++) {
          if (!(bits & (0x10 >> col))) continue;
          for (let a = 0; a < scale; a++) for (let b = 0; b < scale; b++) {
            const u = pen + col * scale + a, v = row * scale + b;
            if (vertical) this.set(x + v, y - u, c); else this.set(x + u, y + v, c);
          }
        }
      }
      pen += (GLYPH_W + 1) * scale;
    }
  }

  /** PNG bytes: 8-bit RGB, filter 0 on every row, zlib-deflated. */
  toPng(): Buffer {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // colour type: truecolour
    // compression, filter and interlace methods: 0
    const stride = this.width * 3;
    const raw = Buffer.alloc((stride + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (stride + 1)] = 0;
      raw.set(this.px.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
    }
    return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
  }
}
