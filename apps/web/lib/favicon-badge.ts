/**
 * Draws the favicon with the unread count on a red badge (on a canvas, from the app icon) and the
 * count in front of the tab title, as "(3) Parley".
 */
const iconSize = 64;
const iconUrl = "/icons/favicon-64.png";
let icon: HTMLImageElement | null = null;
let iconLoaded: Promise<HTMLImageElement | null> | null = null;

function loadIcon(): Promise<HTMLImageElement | null> {
  iconLoaded ??= new Promise((resolve) => {
    const image = new Image();
    image.onload = () => {
      icon = image;
      resolve(image);
    };
    image.onerror = () => resolve(null);
    image.src = iconUrl;
  });
  return iconLoaded;
}

/**
 * The page's icon links, whose href is changed in place: Next.js renders them from the layout's
 * metadata and would fail to update links that were removed behind its back.
 */
function faviconLinks(): HTMLLinkElement[] {
  let links = [...document.querySelectorAll<HTMLLinkElement>('link[rel~="icon"]')];
  if (links.length === 0) {
    const link = document.createElement("link");
    link.rel = "icon";
    document.head.appendChild(link);
    links = [link];
  }
  for (const link of links) link.dataset.parleyIcon ??= link.getAttribute("href") ?? iconUrl;
  return links;
}

export async function showUnreadBadge(count: number): Promise<void> {
  const image = icon ?? (await loadIcon());
  const links = faviconLinks();
  if (count === 0 || !image) {
    for (const link of links) link.href = link.dataset.parleyIcon ?? iconUrl;
    return;
  }
  const canvas = document.createElement("canvas");
  canvas.width = iconSize;
  canvas.height = iconSize;
  const context = canvas.getContext("2d");
  if (!context) return;
  context.drawImage(image, 0, 0, iconSize, iconSize);
  const label = count > 99 ? "99+" : String(count);
  const radius = label.length > 1 ? 22 : 18;
  const centre = iconSize - radius;
  context.beginPath();
  context.arc(centre, centre, radius, 0, Math.PI * 2);
  context.fillStyle = "#dc2626";
  context.fill();
  context.lineWidth = 3;
  context.strokeStyle = "#ffffff";
  context.stroke();
  context.fillStyle = "#ffffff";
  context.font = `bold ${label.length > 2 ? 20 : label.length > 1 ? 26 : 30}px system-ui, sans-serif`;
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.fillText(label, centre, centre + 2);
  const badged = canvas.toDataURL("image/png");
  for (const link of links) link.href = badged;
}

const countPrefix = /^\(\d+\+?\) /;

/** Puts "(count) " in front of the document's title (Next.js sets the rest on navigation). */
export function showUnreadInTitle(count: number): void {
  const base = document.title.replace(countPrefix, "");
  const next = count > 0 ? `(${count > 99 ? "99+" : count}) ${base}` : base;
  if (document.title !== next) document.title = next;
}
