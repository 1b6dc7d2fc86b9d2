/**
 * Draws Parley's app icon (a speech bubble with three dots) as SVG and rasterises the PNGs the
 * web app manifest, the favicon badge and iOS need. Run `node scripts/make-icons.mjs` after
 * changing the drawing; the output in public/icons/ is committed.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import sharp from "sharp";

const out = fileURLToPath(new URL("../public/icons/", import.meta.url));
const brand = "#0284c7";
const brandDark = "#0369a1";

/** The bubble and its dots on a 100×100 grid, centred, `scale` of the full size. */
function glyph(scale, colour, dotColour) {
  const offset = (100 - 100 * scale) / 2;
  return `<g transform="translate(${offset} ${offset}) scale(${scale})">
    <path d="M50 18c-19.3 0-35 12.9-35 28.8 0 8.6 4.6 16.3 11.9 21.6L23.5 82l15.7-7.9c3.4.9 7 1.4 10.8 1.4 19.3 0 35-12.9 35-28.7S69.3 18 50 18z" fill="${colour}"/>
    <circle cx="35.5" cy="47" r="5" fill="${dotColour}"/>
    <circle cx="50" cy="47" r="5" fill="${dotColour}"/>
    <circle cx="64.5" cy="47" r="5" fill="${dotColour}"/>
  </g>`;
}

const background = `<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${brand}"/><stop offset="1" stop-color="${brandDark}"/></linearGradient></defs>`;

/** Rounded square, for browsers that show the icon as it is. */
const anyIcon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">${background}<rect width="100" height="100" rx="22" fill="url(#g)"/>${glyph(0.92, "#fff", brand)}</svg>`;
/** Full bleed with the glyph inside the central 80 % circle that every mask keeps. */
const maskableIcon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">${background}<rect width="100" height="100" fill="url(#g)"/>${glyph(0.7, "#fff", brand)}</svg>`;
/** One colour on transparent: Android tints the status-bar badge itself. */
const badgeIcon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">${glyph(1.1, "#fff", "transparent")}</svg>`;

await mkdir(out, { recursive: true });
await writeFile(`${out}icon.svg`, `${anyIcon}\n`);
const render = (svg, size, name) => sharp(Buffer.from(svg), { density: 72 * (size / 100) * 4 }).resize(size, size).png().toFile(`${out}${name}`);
await Promise.all([
  render(anyIcon, 192, "icon-192.png"),
  render(anyIcon, 512, "icon-512.png"),
  render(maskableIcon, 192, "maskable-192.png"),
  render(maskableIcon, 512, "maskable-512.png"),
  render(maskableIcon, 180, "apple-touch-icon.png"),
  render(badgeIcon, 96, "badge-96.png"),
  render(anyIcon, 64, "favicon-64.png"),
]);
console.log(`icons written to ${out}`);
