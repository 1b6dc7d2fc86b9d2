"use client";

import { thumbHashToDataURL } from "thumbhash";
import { useEffect, useMemo, useRef, useState } from "react";

import type { AttachmentView } from "../../lib/api-types";
import { albumRows } from "../../lib/media-layout";
import { ChevronLeftIcon, ChevronRightIcon, CloseIcon, DownloadIcon, ZoomInIcon } from "../ui/icons";

/** A ThumbHash as an image to show while the thumbnail loads; null if it does not decode. */
function placeholderOf(thumbhash: string | undefined): string | null {
  if (!thumbhash) return null;
  try {
    return thumbHashToDataURL(Uint8Array.from(atob(thumbhash), (character) => character.charCodeAt(0)));
  } catch {
    return null;
  }
}

function AlbumTileImage({ image, onOpen, progress }: { image: AttachmentView; onOpen: () => void; progress: number | null }) {
  const placeholder = useMemo(() => placeholderOf(image.thumbhash), [image.thumbhash]);
  const [loaded, setLoaded] = useState(false);
  return (
    <button
      type="button"
      onClick={onOpen}
      aria-label={`Open ${image.name}`}
      data-testid="album-image"
      className="relative block size-full overflow-hidden bg-zinc-200 dark:bg-zinc-700"
      style={placeholder ? { backgroundImage: `url(${placeholder})`, backgroundSize: "cover" } : undefined}
    >
      {(image.thumbnailUrl ?? image.url) && (
        <img
          src={image.thumbnailUrl ?? image.url}
          alt={image.name}
          loading="lazy"
          decoding="async"
          onLoad={() => setLoaded(true)}
          className={`size-full object-cover transition-opacity duration-200 ${loaded ? "opacity-100" : "opacity-0"}`}
        />
      )}
      {progress !== null && (
        <span className="absolute inset-x-3 bottom-3 h-1.5 overflow-hidden rounded-full bg-black/40">
          <span className="block h-full bg-white transition-[width]" style={{ width: `${Math.round(progress * 100)}%` }} />
        </span>
      )}
    </button>
  );
}

/**
 * Up to ten pictures laid out like an album; a tap opens the lightbox on that picture.
 * `progressOf` gives an unsent picture's upload progress.
 */
export function MediaAlbum({ images, progressOf }: { images: AttachmentView[]; progressOf?: (image: AttachmentView) => number | null }) {
  const [open, setOpen] = useState<number | null>(null);
  const rows = albumRows(images);
  const single = images.length === 1;
  const singleAspect = rows[0]?.[0]?.aspect ?? 1;
  return (
    <>
      <div
        data-testid="media-album"
        className={`flex flex-col gap-0.5 overflow-hidden ${single ? "" : "w-[min(24rem,72vw)]"}`}
        // A lone tall picture is narrower, so that it is never taller than about 22rem.
        style={single ? { width: `min(20rem, 70vw, ${(22 * singleAspect).toFixed(2)}rem)` } : undefined}
      >
        {rows.map((row, rowIndex) => (
          <div
            key={rowIndex}
            className="flex gap-0.5"
            style={{ aspectRatio: `${row.reduce((sum, tile) => sum + tile.aspect, 0)}` }}
          >
            {row.map((tile) => (
              // Grow factors scaled up: below a sum of 1, flex would leave part of the row empty.
              <div key={tile.item.id} className="min-w-0" style={{ flex: `${tile.aspect * 100} 1 0` }}>
                <AlbumTileImage image={tile.item} onOpen={() => setOpen(tile.index)} progress={progressOf?.(tile.item) ?? null} />
              </div>
            ))}
          </div>
        ))}
      </div>
      {open !== null && <Lightbox images={images} start={open} onClose={() => setOpen(null)} />}
    </>
  );
}

/**
 * The full-size picture over everything: ← and → (or the side buttons, or a swipe) move through
 * the album, a click or Z zooms, Escape closes, and Download saves it under its name.
 */
export function Lightbox({ images, start, onClose }: { images: AttachmentView[]; start: number; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [index, setIndex] = useState(start);
  const [zoomed, setZoomed] = useState(false);
  const touchStartX = useRef<number | null>(null);
  const image = images[index] ?? images[0];

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  function move(step: number) {
    setZoomed(false);
    setIndex((current) => Math.min(images.length - 1, Math.max(0, current + step)));
  }

  if (!image) return null;
  return (
    <dialog
      ref={ref}
      aria-label={`${image.name}, ${index + 1} of ${images.length}`}
      data-testid="lightbox"
      onClose={onClose}
      onKeyDown={(event) => {
        if (event.key === "ArrowRight") move(1);
        else if (event.key === "ArrowLeft") move(-1);
        else if (event.key === "z" || event.key === "Z") setZoomed((value) => !value);
      }}
      onTouchStart={(event) => {
        touchStartX.current = event.touches[0]?.clientX ?? null;
      }}
      onTouchEnd={(event) => {
        const startX = touchStartX.current;
        const endX = event.changedTouches[0]?.clientX;
        if (startX === null || endX === undefined || zoomed) return;
        if (Math.abs(endX - startX) > 50) move(endX < startX ? 1 : -1);
      }}
      className="m-0 h-dvh max-h-none w-screen max-w-none bg-black/95 p-0 text-white backdrop:bg-black/80"
    >
      <div className="flex h-full flex-col">
        <header className="flex shrink-0 items-center gap-2 px-3 py-2">
          <p className="min-w-0 flex-1 truncate text-sm">
            {image.name}
            {images.length > 1 && <span className="ml-2 text-white/60">{`${index + 1} / ${images.length}`}</span>}
          </p>
          <button
            type="button"
            aria-label={zoomed ? "Zoom out" : "Zoom in"}
            title={zoomed ? "Zoom out" : "Zoom in"}
            aria-pressed={zoomed}
            onClick={() => setZoomed((value) => !value)}
            className="flex size-10 items-center justify-center rounded-full hover:bg-white/10"
          >
            <ZoomInIcon />
          </button>
          <a
            href={image.url}
            download={image.name}
            aria-label="Download"
            title="Download"
            className="flex size-10 items-center justify-center rounded-full hover:bg-white/10"
          >
            <DownloadIcon />
          </a>
          <button
            type="button"
            aria-label="Close"
            title="Close"
            onClick={() => ref.current?.close()}
            className="flex size-10 items-center justify-center rounded-full hover:bg-white/10"
          >
            <CloseIcon />
          </button>
        </header>
        <div
          className={`relative min-h-0 flex-1 ${zoomed ? "overflow-auto" : "flex items-center justify-center overflow-hidden"}`}
          onClick={(event) => {
            if (event.target === event.currentTarget) ref.current?.close();
          }}
        >
          <img
            key={image.id}
            src={image.url}
            alt={image.name}
            data-testid="lightbox-image"
            onClick={() => setZoomed((value) => !value)}
            className={zoomed ? "w-[200%] max-w-none cursor-zoom-out md:w-[150%]" : "max-h-full max-w-full cursor-zoom-in object-contain"}
          />
          {index > 0 && (
            <button
              type="button"
              aria-label="Previous"
              title="Previous"
              onClick={() => move(-1)}
              className="absolute top-1/2 left-2 flex size-11 -translate-y-1/2 items-center justify-center rounded-full bg-black/50 hover:bg-black/70"
            >
              <ChevronLeftIcon />
            </button>
          )}
          {index < images.length - 1 && (
            <button
              type="button"
              aria-label="Next"
              title="Next"
              onClick={() => move(1)}
              className="absolute top-1/2 right-2 flex size-11 -translate-y-1/2 items-center justify-center rounded-full bg-black/50 hover:bg-black/70"
            >
              <ChevronRightIcon />
            </button>
          )}
        </div>
      </div>
    </dialog>
  );
}
