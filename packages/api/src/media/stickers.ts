import sharp from "sharp";

/**
 * Parley's sticker pack: twelve stickers drawn for Parley as plain SVG shapes (no text, no
 * emoji glyphs), rendered once per process to 256-pixel WebP. Licence: CC0 (see README).
 */
export const stickerSizePixels = 256;

const outline = `stroke="#2b2b3a" stroke-width="6" stroke-linejoin="round" stroke-linecap="round"`;
const eyes = (y: number, spread = 22) =>
  `<circle cx="${128 - spread}" cy="${y}" r="9" fill="#2b2b3a"/><circle cx="${128 + spread}" cy="${y}" r="9" fill="#2b2b3a"/>` +
  `<circle cx="${125 - spread}" cy="${y - 3}" r="3" fill="#fff"/><circle cx="${125 + spread}" cy="${y - 3}" r="3" fill="#fff"/>`;
const smile = (y: number, width = 24) => `<path d="M${128 - width} ${y} Q128 ${y + width} ${128 + width} ${y}" fill="none" ${outline}/>`;
const cheeks = (y: number, spread = 44) =>
  `<ellipse cx="${128 - spread}" cy="${y}" rx="11" ry="7" fill="#ff8fa3" opacity="0.7"/><ellipse cx="${128 + spread}" cy="${y}" rx="11" ry="7" fill="#ff8fa3" opacity="0.7"/>`;

const art: Record<string, { name: string; svg: string }> = {
  sun: {
    name: "Sunny",
    svg: `${Array.from({ length: 12 }, (_, index) => `<rect x="122" y="14" width="12" height="40" rx="6" fill="#ffb703" transform="rotate(${index * 30} 128 128)"/>`).join("")}
      <circle cx="128" cy="128" r="70" fill="#ffd60a" ${outline}/>${eyes(118)}${smile(142)}${cheeks(146)}`,
  },
  heart: {
    name: "Heart",
    svg: `<path d="M128 222 C40 160 18 110 40 74 C62 38 110 42 128 80 C146 42 194 38 216 74 C238 110 216 160 128 222 Z" fill="#ef476f" ${outline}/>
      <ellipse cx="82" cy="86" rx="16" ry="10" fill="#fff" opacity="0.5" transform="rotate(-30 82 86)"/>${eyes(124, 26)}${smile(146, 18)}`,
  },
  cat: {
    name: "Cat",
    svg: `<path d="M54 96 L62 30 L110 70 Z M202 96 L194 30 L146 70 Z" fill="#f4a261" ${outline}/>
      <ellipse cx="128" cy="140" rx="86" ry="76" fill="#f4a261" ${outline}/>${eyes(128, 30)}
      <path d="M120 150 L136 150 L128 160 Z" fill="#2b2b3a"/>
      <path d="M128 160 Q116 176 104 168 M128 160 Q140 176 152 168" fill="none" ${outline}/>
      <path d="M40 146 L84 152 M40 166 L84 162 M216 146 L172 152 M216 166 L172 162" ${outline}/>`,
  },
  ghost: {
    name: "Ghost",
    svg: `<path d="M56 226 L56 110 C56 56 200 56 200 110 L200 226 L176 206 L152 226 L128 206 L104 226 L80 206 Z" fill="#f1f3f8" ${outline}/>
      ${eyes(118, 24)}<ellipse cx="128" cy="156" rx="14" ry="18" fill="#2b2b3a"/>${cheeks(144, 48)}`,
  },
  cactus: {
    name: "Cactus",
    svg: `<path d="M92 206 L164 206 L156 240 L100 240 Z" fill="#e76f51" ${outline}/>
      <rect x="96" y="60" width="64" height="150" rx="32" fill="#52b788" ${outline}/>
      <path d="M96 140 L70 140 Q56 140 56 126 L56 96" fill="none" stroke="#2b2b3a" stroke-width="26" stroke-linecap="round"/>
      <path d="M96 140 L70 140 Q56 140 56 126 L56 96" fill="none" stroke="#52b788" stroke-width="14" stroke-linecap="round"/>
      <path d="M160 120 L186 120 Q200 120 200 106 L200 82" fill="none" stroke="#2b2b3a" stroke-width="26" stroke-linecap="round"/>
      <path d="M160 120 L186 120 Q200 120 200 106 L200 82" fill="none" stroke="#52b788" stroke-width="14" stroke-linecap="round"/>
      ${eyes(108, 14)}${smile(124, 12)}<circle cx="128" cy="50" r="12" fill="#ff70a6" ${outline}/>`,
  },
  coffee: {
    name: "Coffee",
    svg: `<path d="M98 70 Q88 50 100 34 M128 70 Q118 50 130 34 M158 70 Q148 50 160 34" fill="none" stroke="#adb5bd" stroke-width="7" stroke-linecap="round"/>
      <path d="M186 118 Q226 118 222 152 Q218 182 178 180" fill="none" stroke="#2b2b3a" stroke-width="22"/>
      <path d="M186 118 Q226 118 222 152 Q218 182 178 180" fill="none" stroke="#8ecae6" stroke-width="10"/>
      <path d="M54 88 L202 88 L186 206 Q184 222 166 222 L90 222 Q72 222 70 206 Z" fill="#8ecae6" ${outline}/>
      <ellipse cx="128" cy="90" rx="72" ry="12" fill="#6f4518" ${outline}/>${eyes(146, 24)}${smile(166, 16)}${cheeks(172, 44)}`,
  },
  moon: {
    name: "Sleepy moon",
    svg: `<path d="M160 30 A100 100 0 1 0 226 170 A80 80 0 1 1 160 30 Z" fill="#ffe66d" ${outline}/>
      <path d="M74 130 Q86 142 98 130 M112 146 Q124 158 136 146" fill="none" ${outline}/>
      <path d="M176 52 L200 52 L176 80 L200 80 M206 94 L222 94 L206 112 L222 112" fill="none" stroke="#5e60ce" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/>`,
  },
  cloud: {
    name: "Rain cloud",
    svg: `<path d="M66 156 A36 36 0 0 1 70 84 A50 50 0 0 1 160 66 A44 44 0 0 1 196 156 Z" fill="#dee2e6" ${outline}/>
      ${eyes(114, 24)}<path d="M112 140 Q128 128 144 140" fill="none" ${outline}/>
      <path d="M84 182 L76 206 M128 182 L120 214 M172 182 L164 206" stroke="#4895ef" stroke-width="10" stroke-linecap="round"/>`,
  },
  rocket: {
    name: "Rocket",
    svg: `<path d="M104 184 Q128 250 152 184 Z" fill="#ff9f1c" ${outline}/>
      <path d="M92 150 L58 190 L96 182 Z M164 150 L198 190 L160 182 Z" fill="#e63946" ${outline}/>
      <path d="M128 20 Q186 74 164 186 L92 186 Q70 74 128 20 Z" fill="#f1faee" ${outline}/>
      <circle cx="128" cy="100" r="22" fill="#a8dadc" ${outline}/>`,
  },
  pizza: {
    name: "Pizza slice",
    svg: `<path d="M40 60 Q128 20 216 60 L128 232 Z" fill="#ffd166" ${outline}/>
      <path d="M40 60 Q128 20 216 60 L206 80 Q128 44 50 80 Z" fill="#e09f3e" ${outline}/>
      <circle cx="104" cy="110" r="14" fill="#d62828"/><circle cx="152" cy="104" r="12" fill="#d62828"/><circle cx="130" cy="172" r="11" fill="#d62828"/>
      ${eyes(136, 18)}`,
  },
  balloon: {
    name: "Balloon",
    svg: `<path d="M128 190 Q112 214 132 232 Q150 246 136 252" fill="none" stroke="#2b2b3a" stroke-width="4"/>
      <path d="M120 198 L136 198 L128 186 Z" fill="#9d4edd" ${outline}/>
      <ellipse cx="128" cy="104" rx="72" ry="84" fill="#c77dff" ${outline}/>
      <ellipse cx="96" cy="64" rx="14" ry="22" fill="#fff" opacity="0.5" transform="rotate(25 96 64)"/>${eyes(100, 24)}${smile(124, 18)}`,
  },
  fish: {
    name: "Fish",
    svg: `<path d="M176 128 L236 84 L228 128 L236 172 Z" fill="#00b4d8" ${outline}/>
      <ellipse cx="116" cy="128" rx="86" ry="62" fill="#48cae4" ${outline}/>
      <path d="M100 72 Q124 40 150 74" fill="#0096c7" ${outline}/>
      <circle cx="72" cy="116" r="11" fill="#2b2b3a"/><circle cx="69" cy="112" r="4" fill="#fff"/>
      <path d="M48 146 Q60 156 72 148" fill="none" ${outline}/>
      <path d="M120 104 Q132 128 120 152 M146 104 Q158 128 146 152" fill="none" stroke="#0096c7" stroke-width="6" stroke-linecap="round"/>`,
  },
};

export interface StickerView {
  id: string;
  name: string;
  /** The art as a same-origin path (a 256-pixel WebP), for any signed-in user. */
  url: string;
}

export function listStickers(): StickerView[] {
  return Object.entries(art).map(([id, sticker]) => ({ id, name: sticker.name, url: `/api/media/stickers/${id}` }));
}

export function findSticker(id: string): { id: string; name: string } | null {
  const sticker = Object.hasOwn(art, id) ? art[id] : undefined;
  return sticker ? { id, name: sticker.name } : null;
}

const rendered = new Map<string, Promise<Buffer>>();

/** The sticker as WebP, rendered from its SVG at first use and kept for the process's life. */
export async function renderSticker(id: string): Promise<{ bytes: Buffer; size: number }> {
  const sticker = art[id];
  if (!sticker) throw new Error(`no sticker ${id}`);
  let bytes = rendered.get(id);
  if (!bytes) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${stickerSizePixels}" height="${stickerSizePixels}" viewBox="0 0 256 256">${sticker.svg}</svg>`;
    bytes = sharp(Buffer.from(svg)).webp({ quality: 90, alphaQuality: 100 }).toBuffer();
    rendered.set(id, bytes);
    bytes.catch(() => rendered.delete(id));
  }
  return { bytes: await bytes, size: stickerSizePixels };
}
