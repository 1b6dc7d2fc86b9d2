/**
 * The user's own microphone, camera and screen: acquiring them, and turning the browser's
 * refusals into sentences a person can act on.
 */

export type CallMedia = "audio" | "video";

/** A refusal or failure to get a device, worded for the person at the screen. */
export class MediaAccessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MediaAccessError";
  }
}

function wantedDevices(media: CallMedia): string {
  return media === "video" ? "camera and microphone" : "microphone";
}

/** The browser's DOMException for getUserMedia, as one clear sentence. */
export function describeMediaError(error: unknown, media: CallMedia | "screen"): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : "";
  if (media === "screen") {
    if (name === "NotAllowedError") return "Screen sharing was cancelled or is blocked for this site.";
    return "Your screen can’t be shared from this browser.";
  }
  const devices = wantedDevices(media);
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return `Parley isn’t allowed to use your ${devices}. Allow access in the browser’s site settings, then try again.`;
    case "NotFoundError":
    case "OverconstrainedError":
      return media === "video" ? "No camera or microphone was found. Connect one and try again." : "No microphone was found. Connect one and try again.";
    case "NotReadableError":
    case "AbortError":
      return `Your ${devices} is in use by another app, or couldn’t be started.`;
    case "TypeError":
      return "Calls need a secure (https) connection.";
    default:
      return `Your ${devices} couldn’t be started.`;
  }
}

const audioConstraints: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

function videoConstraints(deviceId?: string): MediaTrackConstraints {
  return { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 }, ...(deviceId ? { deviceId: { exact: deviceId } } : {}) };
}

function requireMediaDevices(): MediaDevices {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) {
    throw new MediaAccessError("Calls need a secure (https) connection in a browser that supports them.");
  }
  return navigator.mediaDevices;
}

/** The microphone, and the camera for a video call. */
export async function openLocalMedia(media: CallMedia): Promise<MediaStream> {
  const devices = requireMediaDevices();
  try {
    return await devices.getUserMedia({ audio: audioConstraints, video: media === "video" ? videoConstraints() : false });
  } catch (error) {
    throw new MediaAccessError(describeMediaError(error, media), { cause: error });
  }
}

/** One camera track, from a given camera when `deviceId` is set. */
export async function openCamera(deviceId?: string): Promise<MediaStreamTrack> {
  const devices = requireMediaDevices();
  try {
    const stream = await devices.getUserMedia({ video: videoConstraints(deviceId) });
    const track = stream.getVideoTracks()[0];
    if (!track) throw new DOMException("No camera track", "NotFoundError");
    return track;
  } catch (error) {
    throw new MediaAccessError(describeMediaError(error, "video"), { cause: error });
  }
}

/** The cameras the browser lists (their labels appear only once camera access was granted). */
export async function listCameras(): Promise<MediaDeviceInfo[]> {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.enumerateDevices) return [];
  try {
    const all = await navigator.mediaDevices.enumerateDevices();
    return all.filter((device) => device.kind === "videoinput" && device.deviceId !== "");
  } catch {
    return [];
  }
}

/** A screen, window or tab the user picks; null when they cancel the picker. */
export async function openScreen(): Promise<MediaStreamTrack | null> {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getDisplayMedia) {
    throw new MediaAccessError(describeMediaError(null, "screen"));
  }
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    return stream.getVideoTracks()[0] ?? null;
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "NotAllowedError" || name === "AbortError") return null;
    throw new MediaAccessError(describeMediaError(error, "screen"), { cause: error });
  }
}

/** Whether this browser can share a screen at all (phones mostly cannot). */
export function canShareScreen(): boolean {
  return typeof navigator !== "undefined" && typeof navigator.mediaDevices?.getDisplayMedia === "function";
}

export function stopStream(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
