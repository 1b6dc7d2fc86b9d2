/*
 * Parley's service worker: shows pushed notifications (and closes them when the conversation is
 * read elsewhere), opens the right conversation when one is clicked, and serves an offline page
 * when a navigation cannot reach the server. Served from /sw.js so that its scope is the whole app.
 */
const shellCache = "parley-shell-v1";
const shellFiles = ["/offline.html", "/icons/icon.svg", "/icons/icon-192.png", "/icons/badge-96.png", "/manifest.webmanifest"];

/** Extends the event's lifetime when the browser dispatched it; one dispatched by script cannot be extended. */
function keepAlive(event, promise) {
  try {
    event.waitUntil(promise);
  } catch {
    // An untrusted event (dispatched from script) has no lifetime to extend; the work still runs.
  }
  return promise;
}

function tagOf(conversationId) {
  return `conversation:${conversationId}`;
}

function conversationUrl(conversationId) {
  return new URL(`/chats/${conversationId}`, self.location.origin).href;
}

self.addEventListener("install", (event) => {
  keepAlive(
    event,
    caches
      .open(shellCache)
      .then((cache) => cache.addAll(shellFiles))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  keepAlive(
    event,
    (async () => {
      for (const key of await caches.keys()) if (key !== shellCache) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.mode === "navigate") {
    event.respondWith(fetch(event.request).catch(async () => (await caches.match("/offline.html")) ?? Response.error()));
    return;
  }
  // The offline page's own files (its icon, the manifest) come from the network when it answers.
  if (event.request.method === "GET" && url.origin === self.location.origin && shellFiles.includes(url.pathname)) {
    event.respondWith(fetch(event.request).catch(async () => (await caches.match(url.pathname)) ?? Response.error()));
  }
});

async function showPush(payload) {
  if (payload.type === "close") {
    const shown = await self.registration.getNotifications({ tag: tagOf(payload.conversationId) });
    for (const notification of shown) {
      if ((notification.data?.seq ?? 0) <= payload.seq) notification.close();
    }
    return;
  }
  if (payload.type === "message") {
    const title = payload.preview?.title ?? (payload.mention ? "You were mentioned" : "New message");
    const body = payload.preview?.body ?? "Open Parley to read it";
    await self.registration.showNotification(title, {
      body,
      tag: tagOf(payload.conversationId),
      renotify: true,
      icon: "/icons/icon-192.png",
      badge: "/icons/badge-96.png",
      timestamp: Date.now(),
      data: { url: conversationUrl(payload.conversationId), conversationId: payload.conversationId, seq: payload.seq },
    });
    return;
  }
  if (payload.type === "call") {
    await self.registration.showNotification(payload.preview ? `${payload.preview.title} is calling` : "Incoming call", {
      body: "Open Parley to answer",
      tag: `call:${payload.callId}`,
      renotify: true,
      requireInteraction: true,
      icon: "/icons/icon-192.png",
      badge: "/icons/badge-96.png",
      data: { url: conversationUrl(payload.conversationId), conversationId: payload.conversationId, callId: payload.callId },
    });
  }
}

self.addEventListener("push", (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null;
  }
  if (!payload || typeof payload.type !== "string") return;
  keepAlive(event, showPush(payload));
});

/** Focuses a Parley window and moves it to `url` (the app navigates itself), or opens one. */
async function openUrl(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const target = windows.find((client) => client.url === url) ?? windows.find((client) => client.focused) ?? windows[0];
  if (!target) {
    await self.clients.openWindow(url);
    return;
  }
  // Focusing needs the click's user activation; a window that cannot take focus still navigates.
  await target.focus().catch(() => undefined);
  if (target.url !== url) target.postMessage({ type: "parley:open", url });
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data?.url ?? new URL("/chats", self.location.origin).href;
  keepAlive(event, openUrl(url));
});
