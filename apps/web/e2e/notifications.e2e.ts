import type { BrowserContext, Page } from "@playwright/test";

import {
  baseUrl,
  befriend,
  callApi,
  composer,
  expect,
  messagesWithText,
  newPerson,
  openChatWith,
  openFromSidebar,
  phone,
  screenshot,
  send,
  sidebarItem,
  test,
} from "./support";

interface ShownNotification {
  title: string;
  body: string;
  tag: string;
  data: { url?: string; conversationId?: string; seq?: number } | null;
}

async function shownNotifications(page: Page): Promise<ShownNotification[]> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const list = await registration.getNotifications();
    return list.map((notification) => ({
      title: notification.title,
      body: notification.body,
      tag: notification.tag,
      data: notification.data as ShownNotification["data"],
    }));
  });
}

/** Delivers a push to the page's service worker the way the browser's push service would (CDP). */
async function pushTo(context: BrowserContext, page: Page): Promise<(payload: unknown) => Promise<void>> {
  const cdp = await context.newCDPSession(page);
  const registrationId = new Promise<string>((resolve) => {
    cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
      const active = registrations.find((registration) => registration.scopeURL === `${new URL(baseUrl).origin}/` && !registration.isDeleted);
      if (active) resolve(active.registrationId);
    });
  });
  await cdp.send("ServiceWorker.enable");
  const id = await registrationId;
  return async (payload) => {
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: new URL(baseUrl).origin, registrationId: id, data: JSON.stringify(payload) });
  };
}

test("the service worker shows a pushed message, closes it when read elsewhere, and a click opens the conversation", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);
  await openChatWith(ada, bo);
  const conversationId = new URL(ada.page.url()).pathname.split("/").at(-1) ?? "";
  await bo.context.grantPermissions(["notifications"], { origin: new URL(baseUrl).origin });

  // /sw.js is served for the whole scope and never from a stale cache.
  const script = await bo.context.request.get(`${baseUrl}/sw.js`);
  expect(script.status()).toBe(200);
  expect(script.headers()["content-type"]).toMatch(/javascript/);
  expect(script.headers()["cache-control"]).toContain("no-cache");
  expect(script.headers()["service-worker-allowed"]).toBe("/");

  await bo.page.goto("/chats");
  await bo.page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  const push = await pushTo(bo.context, bo.page);

  // Without previews: no sender, no text.
  await push({ type: "message", conversationId, seq: 1, mention: false, preview: null });
  await expect.poll(() => shownNotifications(bo.page)).toEqual([
    {
      title: "New message",
      body: "Open Parley to read it",
      tag: `conversation:${conversationId}`,
      data: { url: `${new URL(baseUrl).origin}/chats/${conversationId}`, conversationId, seq: 1 },
    },
  ]);

  // A newer message replaces it (one notification per conversation), with its preview.
  await push({ type: "message", conversationId, seq: 2, mention: false, preview: { title: "Ada", body: "Lunch at noon?" } });
  await expect.poll(async () => (await shownNotifications(bo.page)).map((shown) => [shown.title, shown.body])).toEqual([["Ada", "Lunch at noon?"]]);

  // Read on another device: the server's close push takes it away.
  await push({ type: "close", conversationId, seq: 2 });
  await expect.poll(() => shownNotifications(bo.page)).toEqual([]);

  // A click focuses this window and opens the conversation in it.
  await push({ type: "message", conversationId, seq: 3, mention: true, preview: null });
  await expect.poll(async () => (await shownNotifications(bo.page)).map((shown) => shown.title)).toEqual(["You were mentioned"]);
  const worker = bo.context.serviceWorkers()[0] ?? (await bo.context.waitForEvent("serviceworker"));
  await worker.evaluate(async () => {
    // The worker's global scope (the e2e files are typed for pages, not workers).
    const scope = self as unknown as {
      registration: ServiceWorkerRegistration;
      dispatchEvent: (event: Event) => boolean;
      NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
    };
    const [notification] = await scope.registration.getNotifications();
    if (!notification) throw new Error("no notification to click");
    scope.dispatchEvent(new scope.NotificationEvent("notificationclick", { notification }));
  });
  await expect(bo.page).toHaveURL(new RegExp(`/chats/${conversationId}$`));
  await expect(bo.page.getByTestId("conversation-heading")).toHaveText(ada.displayName);
  await expect.poll(() => shownNotifications(bo.page)).toEqual([]);

  // A navigation that cannot reach the server gets the offline page, with its icon from the cache.
  await bo.context.setOffline(true);
  await bo.page.goto("/friends").catch(() => undefined);
  await expect(bo.page.getByRole("heading", { name: "You’re offline" })).toBeVisible();
  await expect.poll(() => bo.page.locator("img").evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(192);
  await screenshot(bo.page, "offline");
  await bo.context.setOffline(false);
});

test("the app is installable: manifest, icons and a service worker that Chromium accepts", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  await ada.page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  const manifest = (await (await ada.context.request.get(`${baseUrl}/manifest.webmanifest`)).json()) as { icons: { src: string; sizes: string; purpose: string }[] };
  for (const icon of manifest.icons) expect((await ada.context.request.get(`${baseUrl}${icon.src}`)).status(), icon.src).toBe(200);
  expect(manifest.icons.some((icon) => icon.purpose === "maskable" && icon.sizes === "512x512")).toBe(true);
  const cdp = await ada.context.newCDPSession(ada.page);
  await expect
    .poll(async () => ((await cdp.send("Page.getInstallabilityErrors")) as { installabilityErrors: { errorId: string }[] }).installabilityErrors.map((error) => error.errorId))
    // Playwright's contexts are incognito, which Chromium names as the one thing in the way.
    .toEqual(["in-incognito"]);
});

test("mutes, unread counts in the title and favicon, @mentions and notification settings", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  const cy = await newPerson(browser, { name: "Cy" });
  await befriend(ada, bo);
  await befriend(ada, cy);
  const title = "Release crew";
  await callApi(ada.context, "conversations.createGroup", { title, memberIds: [bo.id, cy.id] });

  // Bo is in the chat list, not in the group: a message counts in the tab title and favicon.
  await expect(sidebarItem(bo.page, title)).toBeVisible();
  await openFromSidebar(ada.page, title);
  await send(ada.page, "Build is green");
  await expect(sidebarItem(bo.page, title)).toHaveAttribute("data-unread", "1");
  await expect(bo.page).toHaveTitle(/^\(1\) /);
  await expect
    .poll(() => bo.page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel~="icon"]')?.href.slice(0, 22)))
    .toBe("data:image/png;base64,");

  // Mentions of members are highlighted, the reader's own most strongly.
  await send(ada.page, `@${bo.username} and @${cy.username}: ship it?`);
  await openFromSidebar(bo.page, title);
  const mentionBubble = messagesWithText(bo.page, `@${bo.username} and @${cy.username}: ship it?`);
  await expect(mentionBubble.getByTestId("mention")).toHaveText([`@${bo.username}`, `@${cy.username}`]);
  await expect(mentionBubble.getByTestId("mention").first()).toHaveAttribute("data-self", "true");
  await expect(bo.page).not.toHaveTitle(/^\(\d+\) /);

  // Typing @ in the group suggests its members; Enter completes the username.
  await composer(bo.page).pressSequentially("Thanks @C");
  const suggestions = bo.page.getByRole("listbox", { name: "Mention someone" });
  await expect(suggestions.getByRole("option")).toHaveText([new RegExp(`@${cy.username}`)]);
  await screenshot(bo.page, "mention-suggestions");
  await composer(bo.page).press("Enter");
  await expect(composer(bo.page)).toHaveValue(`Thanks @${cy.username} `);
  await expect(suggestions).toHaveCount(0);
  await composer(bo.page).press("Enter");
  await expect(messagesWithText(ada.page, `Thanks @${cy.username}`).getByTestId("mention")).toHaveText(`@${cy.username}`);

  // Bo mutes the group for an hour: the bell changes, the chat list shows it, the server keeps it.
  await bo.page.getByTestId("mute-button").click();
  await expect(bo.page.getByRole("menu", { name: "Notifications" })).toBeVisible();
  await screenshot(bo.page, "mute-menu");
  await bo.page.getByRole("menuitem", { name: "Mute for 1 hour" }).click();
  await expect(sidebarItem(bo.page, title).getByTestId("muted-icon")).toBeVisible();
  await bo.page.reload();
  await expect(sidebarItem(bo.page, title).getByTestId("muted-icon")).toBeVisible();
  await expect(bo.page.getByTestId("mute-button")).toHaveAttribute("aria-label", /^Muted until /);
  await bo.page.getByTestId("mute-button").click();
  await bo.page.getByRole("menuitem", { name: "Unmute", exact: true }).click();
  await expect(sidebarItem(bo.page, title).getByTestId("muted-icon")).toHaveCount(0);

  // Settings: previews are stored for the account; sound is this device's.
  await bo.page.goto("/settings");
  const previews = bo.page.getByTestId("previews-toggle");
  // The switch is disabled until the account's settings have loaded.
  await expect(previews).toBeEnabled();
  await expect(previews).not.toBeChecked();
  await previews.check({ force: true });
  await expect(previews).toBeChecked();
  await bo.page.reload();
  await expect(bo.page.getByTestId("previews-toggle")).toBeChecked();
  const sound = bo.page.getByTestId("sound-toggle");
  await expect(sound).toBeChecked();
  await sound.uncheck({ force: true });
  await bo.page.reload();
  await expect(bo.page.getByTestId("sound-toggle")).not.toBeChecked();
  await screenshot(bo.page, "notification-settings");
  await bo.page.setViewportSize(phone);
  await bo.page.getByRole("heading", { name: "Notifications" }).scrollIntoViewIfNeeded();
  await screenshot(bo.page, "notification-settings");
});
