"use client";

import { useEffect, useRef, useState, type PointerEvent } from "react";

import { centredCrop, maximumZoom, movedCrop, roundedCrop, zoomedCrop, type SquareCrop } from "../../lib/avatar-crop";
import { useChatStore, useMe } from "../../lib/chat-context";
import { nameOf } from "../../lib/people";
import { Avatar } from "../ui/avatar";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { CameraIcon } from "../ui/icons";

/** The cropper's square on screen, in CSS pixels. */
const viewportPx = 280;

/**
 * The profile picture in Settings: choose an image, move and zoom it under a round mask, and
 * save; the server cuts that square. "Remove" goes back to initials.
 */
export function AvatarEditor() {
  const store = useChatStore();
  const me = useMe();
  const inputRef = useRef<HTMLInputElement>(null);
  const [picked, setPicked] = useState<{ file: File; url: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => () => {
    if (picked) URL.revokeObjectURL(picked.url);
  }, [picked]);

  async function save(crop: SquareCrop) {
    if (!picked) return;
    setBusy(true);
    const saved = await store.setAvatar(picked.file, crop);
    setBusy(false);
    if (saved) setPicked(null);
  }

  return (
    <div className="flex items-center gap-4">
      <button
        type="button"
        onClick={() => inputRef.current?.click()}
        title="Change profile picture"
        className="group/avatar relative rounded-full focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-500"
      >
        <Avatar id={me.id} name={nameOf(me)} src={me.avatarUrl} size="xl" />
        <span className="absolute inset-0 flex items-center justify-center rounded-full bg-black/40 text-white opacity-0 transition-opacity group-hover/avatar:opacity-100 group-focus-visible/avatar:opacity-100">
          <CameraIcon size={24} />
        </span>
        {/* Named by text rather than aria-label: the initials shown are not part of the name. */}
        <span className="sr-only">Change profile picture</span>
      </button>
      <input
        ref={inputRef}
        type="file"
        accept="image/png,image/jpeg,image/webp,image/gif,image/avif"
        hidden
        data-testid="avatar-input"
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = "";
          if (file) setPicked({ file, url: URL.createObjectURL(file) });
        }}
      />
      <div className="min-w-0">
        <p className="truncate font-semibold">{nameOf(me)}</p>
        <p className="truncate text-sm text-zinc-500 dark:text-zinc-400">@{me.username}</p>
        <div className="mt-1 flex gap-3 text-sm">
          <button type="button" onClick={() => inputRef.current?.click()} className="font-medium text-sky-700 hover:underline dark:text-sky-400">
            {me.avatarUrl ? "Change photo" : "Add a photo"}
          </button>
          {me.avatarUrl && (
            <button type="button" onClick={() => void store.removeAvatar()} className="font-medium text-rose-600 hover:underline">
              Remove
            </button>
          )}
        </div>
      </div>
      <Dialog open={picked !== null} title="Crop your picture" onClose={() => setPicked(null)}>
        {picked && <Cropper url={picked.url} busy={busy} onSave={(crop) => void save(crop)} onCancel={() => setPicked(null)} />}
      </Dialog>
    </div>
  );
}

function Cropper({ url, busy, onSave, onCancel }: { url: string; busy: boolean; onSave: (crop: SquareCrop) => void; onCancel: () => void }) {
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const [crop, setCrop] = useState<SquareCrop | null>(null);
  const [zoom, setZoom] = useState(1);
  const drag = useRef<{ x: number; y: number } | null>(null);
  const [unreadable, setUnreadable] = useState(false);

  const scale = crop ? viewportPx / crop.side : 1;

  function onPointerMove(event: PointerEvent<HTMLDivElement>) {
    if (!drag.current || !crop || !size) return;
    const dx = (drag.current.x - event.clientX) / scale;
    const dy = (drag.current.y - event.clientY) / scale;
    drag.current = { x: event.clientX, y: event.clientY };
    setCrop(movedCrop(crop, dx, dy, size.width, size.height));
  }

  return (
    <div className="flex flex-col items-center gap-4">
      <div
        data-testid="avatar-cropper"
        className="relative touch-none overflow-hidden rounded-xl bg-zinc-900 select-none"
        style={{ width: viewportPx, height: viewportPx, cursor: crop ? "grab" : "default" }}
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture(event.pointerId);
          drag.current = { x: event.clientX, y: event.clientY };
        }}
        onPointerMove={onPointerMove}
        onPointerUp={() => (drag.current = null)}
        onPointerCancel={() => (drag.current = null)}
        onWheel={(event) => {
          if (!crop || !size) return;
          const next = Math.min(maximumZoom, Math.max(1, zoom * (event.deltaY < 0 ? 1.1 : 1 / 1.1)));
          setZoom(next);
          setCrop(zoomedCrop(crop, next, size.width, size.height));
        }}
      >
        <img
          src={url}
          alt="Your new profile picture"
          draggable={false}
          onLoad={(event) => {
            const { naturalWidth: width, naturalHeight: height } = event.currentTarget;
            setSize({ width, height });
            setCrop(centredCrop(width, height));
          }}
          onError={() => setUnreadable(true)}
          className="absolute top-0 left-0 max-w-none origin-top-left"
          style={
            crop && size
              ? { width: size.width * scale, height: size.height * scale, transform: `translate(${-crop.x * scale}px, ${-crop.y * scale}px)` }
              : { visibility: "hidden" }
          }
        />
        {/* The round mask: what the picture will look like everywhere. */}
        <div className="pointer-events-none absolute inset-0 rounded-full shadow-[0_0_0_9999px_rgba(0,0,0,0.55)] ring-2 ring-white/80" />
      </div>
      {unreadable ? (
        <p className="text-sm text-rose-600" role="alert">
          This file cannot be shown as a picture.
        </p>
      ) : (
        <label className="flex w-full max-w-[280px] items-center gap-3 text-sm text-zinc-600 dark:text-zinc-300">
          Zoom
          <input
            type="range"
            min={1}
            max={maximumZoom}
            step={0.01}
            value={zoom}
            onChange={(event) => {
              const next = Number(event.target.value);
              setZoom(next);
              if (crop && size) setCrop(zoomedCrop(crop, next, size.width, size.height));
            }}
            className="flex-1 accent-sky-600"
          />
        </label>
      )}
      <div className="flex w-full justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button disabled={!crop || !size || busy} onClick={() => crop && size && onSave(roundedCrop(crop, size.width, size.height))}>
          {busy ? "Saving…" : "Save picture"}
        </Button>
      </div>
    </div>
  );
}
