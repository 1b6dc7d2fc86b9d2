/**
 * An album's layout, as Telegram lays one out: up to 10 pictures in rows, each row as tall as
 * its pictures let it be at full width, each picture as wide as its shape asks.
 */
const rowSizes: Record<number, number[]> = {
  1: [1],
  2: [2],
  3: [1, 2],
  4: [2, 2],
  5: [2, 3],
  6: [3, 3],
  7: [1, 3, 3],
  8: [2, 3, 3],
  9: [3, 3, 3],
  10: [3, 3, 4],
};

/** Very tall or very wide pictures are cropped to this range so that a row stays readable. */
const minimumAspect = 0.5;
const maximumAspect = 2.4;

export interface AlbumTile<TItem> {
  item: TItem;
  index: number;
  /** Width over height, clamped. */
  aspect: number;
}

export function albumRows<TItem extends { width?: number; height?: number }>(items: readonly TItem[]): AlbumTile<TItem>[][] {
  const sizes = rowSizes[items.length] ?? Array.from({ length: Math.ceil(items.length / 3) }, (_, row) => Math.min(3, items.length - row * 3));
  const rows: AlbumTile<TItem>[][] = [];
  let next = 0;
  for (const size of sizes) {
    rows.push(
      items.slice(next, next + size).map((item, offset) => {
        const aspect = item.width && item.height ? item.width / item.height : 1;
        const single = items.length === 1;
        // A lone picture keeps more of its shape; in a row, pictures are kept closer to square.
        const low = single ? minimumAspect : 0.66;
        const high = single ? maximumAspect : 1.8;
        return { item, index: next + offset, aspect: Math.min(high, Math.max(low, aspect)) };
      }),
    );
    next += size;
  }
  return rows;
}
