// The page's built-in picture, drawn in code (no image file, nothing to download): a small landscape with a sun,
// hills and a house, so edges of every direction and flat areas sit close together. Each pixel is the average
// of 4x4 sub-samples of the shapes, so edges are smooth, as in a photo. RGB values in [0, 1], planar (C, H, W).

const SKY_TOP = [0.45, 0.68, 0.92];
const SKY_BOTTOM = [0.88, 0.94, 1.0];
const SUN = [1.0, 0.78, 0.18];
const HILL = [0.28, 0.62, 0.3];
const WALL = [0.82, 0.36, 0.25];
const ROOF = [0.32, 0.18, 0.2];
const DOOR = [0.3, 0.18, 0.1];
const WINDOW = [0.98, 0.92, 0.55];
const SUBSAMPLES = 4;

/** The colour at a point (x, y) in pixel units, 0 at the top-left corner of the picture. */
function colourAt(x, y, width, height) {
  const sx = x / width, sy = y / height;
  const inside = (x0, y0, x1, y1) => x >= x0 * width && x < x1 * width && y >= y0 * height && y < y1 * height;
  if (inside(0.6, 0.64, 0.68, 0.8)) return DOOR;
  if (inside(0.6, 0.5, 0.68, 0.58) || inside(0.74, 0.5, 0.82, 0.58)) return WINDOW;
  if (inside(0.54, 0.46, 0.88, 0.8)) return WALL;
  const roofApex = [0.71, 0.2], roofBase = 0.46, roofHalf = 0.22;
  if (sy >= roofApex[1] && sy < roofBase && Math.abs(sx - roofApex[0]) <= roofHalf * (sy - roofApex[1]) / (roofBase - roofApex[1])) return ROOF;
  if (sy > 0.74 + 0.06 * Math.sin(sx * 9)) return HILL;
  if ((sx - 0.24) ** 2 + (sy - 0.26) ** 2 < 0.13 ** 2) return SUN;
  return SKY_TOP.map((top, c) => top + (SKY_BOTTOM[c] - top) * sy);
}

/** { width, height, data: Float32Array (3, height, width) } */
export function makePicture(width, height) {
  const data = new Float32Array(3 * width * height);
  const plane = width * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sum = [0, 0, 0];
      for (let v = 0; v < SUBSAMPLES; v++) {
        for (let u = 0; u < SUBSAMPLES; u++) {
          const colour = colourAt(x + (u + 0.5) / SUBSAMPLES, y + (v + 0.5) / SUBSAMPLES, width, height);
          for (let c = 0; c < 3; c++) sum[c] += colour[c];
        }
      }
      for (let c = 0; c < 3; c++) data[c * plane + y * width + x] = sum[c] / SUBSAMPLES ** 2;
    }
  }
  return { width, height, data };
}
