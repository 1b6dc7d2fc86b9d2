/**
 * The square a profile picture is cut from, in the picture's own (upright) pixels, as
 * `users.setAvatar` takes it. Zoom 1 is the largest square that fits; the square never leaves
 * the picture.
 */
export interface SquareCrop {
  x: number;
  y: number;
  side: number;
}

export const maximumZoom = 4;

export function centredCrop(width: number, height: number): SquareCrop {
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), side };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** The same square moved by (dx, dy) picture pixels, kept inside the picture. */
export function movedCrop(crop: SquareCrop, dx: number, dy: number, width: number, height: number): SquareCrop {
  return { ...crop, x: clamp(crop.x + dx, 0, width - crop.side), y: clamp(crop.y + dy, 0, height - crop.side) };
}

/** The square at `zoom` around the same centre, kept inside the picture. */
export function zoomedCrop(crop: SquareCrop, zoom: number, width: number, height: number): SquareCrop {
  const side = Math.min(width, height) / clamp(zoom, 1, maximumZoom);
  const centreX = crop.x + crop.side / 2;
  const centreY = crop.y + crop.side / 2;
  return movedCrop({ x: centreX - side / 2, y: centreY - side / 2, side }, 0, 0, width, height);
}

/** Whole pixels for the server, still inside the picture. */
export function roundedCrop(crop: SquareCrop, width: number, height: number): SquareCrop {
  const side = Math.max(1, Math.min(Math.round(crop.side), width, height));
  return { x: clamp(Math.round(crop.x), 0, width - side), y: clamp(Math.round(crop.y), 0, height - side), side };
}
