import type { Page } from "@playwright/test";
import sharp from "sharp";

import { befriend, composer, expect, messagesWithText, newPerson, openChatWith, openFromSidebar, screenshot, send, sendVoiceNote, test } from "./support";

/** The body text of the focused message, or null when focus is not on a message. */
function focusedMessage(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || active.dataset.testid !== "message") return null;
    return active.querySelector('[data-testid="message-body"]')?.textContent ?? null;
  });
}

test("the keyboard path: a chat opens in the composer, the list is one Tab stop with arrows inside, and Tab comes back", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);
  await openChatWith(bo, ada);
  for (const text of ["one", "two", "three"]) await send(bo.page, text);

  const page = ada.page;
  await page.goto("/chats");
  await openFromSidebar(page, bo.displayName);
  await expect(composer(page)).toBeFocused();
  await expect(page.getByTestId("message")).toHaveCount(3);

  // Back from the composer: past the emoji button beside the text box, the next Shift+Tab lands
  // on the newest message, not on its buttons.
  const emojiButton = page.getByRole("button", { name: "Emoji and stickers" });
  await page.keyboard.press("Shift+Tab");
  await expect(emojiButton).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect.poll(() => focusedMessage(page)).toBe("three");
  await page.keyboard.press("ArrowUp");
  await expect.poll(() => focusedMessage(page)).toBe("two");
  await page.keyboard.press("Home");
  await expect.poll(() => focusedMessage(page)).toBe("one");
  await page.keyboard.press("ArrowDown");
  await expect.poll(() => focusedMessage(page)).toBe("two");
  await screenshot(page, "keyboard-message-focused");

  // Enter opens the message's actions; Escape gives focus back to the message.
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu", { name: "Message actions" });
  await expect(menu).toBeVisible();
  await expect(menu.getByRole("menuitem").first()).toBeFocused();
  await screenshot(page, "keyboard-message-menu");
  await page.keyboard.press("Escape");
  await expect(menu).toHaveCount(0);
  await expect.poll(() => focusedMessage(page)).toBe("two");

  // Space opens it too; arrows reach Reply, and Enter starts a reply in the composer.
  await page.keyboard.press(" ");
  await expect(menu).toBeVisible();
  for (let step = 0; step < 10; step += 1) {
    if (await menu.getByRole("menuitem", { name: "Reply" }).evaluate((element) => element === document.activeElement)) break;
    await page.keyboard.press("ArrowDown");
  }
  await expect(menu.getByRole("menuitem", { name: "Reply" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(composer(page)).toBeFocused();
  await expect(page.getByRole("button", { name: "Cancel reply" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("button", { name: "Cancel reply" })).toHaveCount(0);

  // The list keeps its place: Shift+Tab returns to the message last focused, one Tab leaves the
  // list for the composer's first button, and the next one is the text box.
  await page.keyboard.press("Shift+Tab");
  await expect(emojiButton).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect.poll(() => focusedMessage(page)).toBe("two");
  await page.keyboard.press("Tab");
  await expect(emojiButton).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(composer(page)).toBeFocused();
  await composer(page).fill("typed without the mouse");
  await page.keyboard.press("Enter");
  await expect(messagesWithText(bo.page, "typed without the mouse")).toHaveCount(1);

  // Where nothing takes focus on load, the skip link is the first Tab stop and passes the sidebar.
  await page.goto("/friends");
  await expect(page.getByRole("heading", { level: 1, name: "Friends" })).toBeVisible();
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  await expect(skip).toBeFocused();
  await screenshot(page, "keyboard-skip-link");
  await page.keyboard.press("Enter");
  await expect(page.locator("#main")).toBeFocused();
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => Boolean(document.activeElement?.closest("#main")))).toBe(true);

  for (const person of [ada, bo]) await person.context.close();
});

test("a long press on a message opens its actions on a touch screen", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);
  await ada.context.close();
  const context = await browser.newContext({ baseURL: bo.page.url().replace(/\/chats.*$/, ""), viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.request.post("/api/trpc/auth.login", {
    headers: { "content-type": "application/json", origin: new URL(bo.page.url()).origin, "x-parley-session": "cookie" },
    data: JSON.stringify({ username: ada.username, password: ada.password }),
  });
  await openChatWith(bo, { ...ada, page, context });
  await send(bo.page, "hold me");
  await page.goto(bo.page.url());
  const bubble = messagesWithText(page, "hold me").getByTestId("message-body");
  await expect(bubble).toBeVisible();
  // Touch screens get no automatic focus in the composer (it would open the keyboard).
  await expect(composer(page)).not.toBeFocused();

  const box = await bubble.boundingBox();
  if (!box) throw new Error("no bubble");
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const client = await context.newCDPSession(page);
  await client.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y }] });
  await page.waitForTimeout(700);
  await client.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  const menu = page.getByRole("menu", { name: "Message actions" });
  await expect(menu).toBeVisible();
  await expect(menu.getByRole("menuitem")).toHaveText(["👍", "❤️", "😂", "😮", "😢", "🙏", "More reactions", "Reply", "Copy text", "Forward"]);
  await screenshot(page, "long-press-menu");
  await menu.getByRole("menuitem", { name: "React with 👍" }).click();
  await expect(messagesWithText(bo.page, "hold me").getByRole("button", { name: /👍 1/ })).toBeVisible();
  await context.close();
  await bo.context.close();
});

test("a voice note's play button, waveform and speed stay out of the Tab order: the list is still one stop", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);
  await openChatWith(bo, ada);
  await sendVoiceNote(bo, 1);

  const page = ada.page;
  await page.goto("/chats");
  await openFromSidebar(page, bo.displayName);
  await expect(composer(page)).toBeFocused();
  await expect(page.getByTestId("voice-message").getByTestId("voice-waveform")).toBeVisible();

  const focused = () =>
    page.evaluate(() => {
      const active = document.activeElement;
      if (!active?.closest('ol[aria-label="Messages"]')) return "outside the list";
      return active instanceof HTMLElement && active.dataset.testid === "message" && active.querySelector('[data-testid="voice-message"]')
        ? "the voice note"
        : `inside the voice note: ${active.getAttribute("aria-label") ?? active.tagName}`;
    });
  await page.keyboard.press("Shift+Tab");
  await expect(page.getByRole("button", { name: "Emoji and stickers" })).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect.poll(focused).toBe("the voice note");
  await page.keyboard.press("Shift+Tab");
  await expect.poll(focused).toBe("outside the list");

  for (const person of [ada, bo]) await person.context.close();
});

test("Enter reaches the controls inside a message: a link opens, a voice note plays, Tab stays in the message, Escape comes back", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);
  await openChatWith(bo, ada);
  await sendVoiceNote(bo, 2);
  await send(bo.page, "the notes are at https://example.com/parley-notes");
  await send(bo.page, "plain words");

  const page = ada.page;
  // The link's address answers locally, so that the tab it opens needs no network.
  await ada.context.route("https://example.com/**", (route) => route.fulfill({ contentType: "text/html", body: "<title>Notes</title>" }));
  await page.goto("/chats");
  await openFromSidebar(page, bo.displayName);
  await expect(composer(page)).toBeFocused();
  const voiceMessage = page.getByTestId("message").filter({ has: page.getByTestId("voice-message") });
  const playButton = voiceMessage.getByRole("button", { name: "Play voice message" });
  await expect(playButton).toBeEnabled();

  const linkMessage = messagesWithText(page, "the notes are at https://example.com/parley-notes");
  const link = linkMessage.getByRole("link", { name: "https://example.com/parley-notes" });
  const hint = "Enter reaches its links and controls, Escape comes back.";
  await expect(linkMessage).toHaveAccessibleDescription(hint);
  await expect(voiceMessage).toHaveAccessibleDescription(hint);
  await expect(messagesWithText(page, "plain words")).toHaveAccessibleDescription("");

  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await expect.poll(() => focusedMessage(page)).toBe("plain words");
  // A message with nothing inside to reach: Enter still opens its menu.
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu", { name: "Message actions" });
  await expect(menu).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(menu).toHaveCount(0);

  // Space opens the link message's menu; a reaction from it adds a chip beside the link.
  await page.keyboard.press("ArrowUp");
  await expect(linkMessage).toBeFocused();
  await page.keyboard.press(" ");
  await expect(menu.getByRole("menuitem", { name: "React with 👍" })).toBeFocused();
  await page.keyboard.press("Enter");
  const chip = linkMessage.getByRole("button", { name: /^👍 1/ });
  await expect(chip).toBeVisible();
  await expect(linkMessage).toBeFocused();

  // Any emoji, from the keyboard: the menu's last reaction opens the full set, its search takes the typing.
  await page.keyboard.press(" ");
  await expect(menu.getByRole("menuitem", { name: "React with 👍" })).toBeFocused();
  for (let step = 0; step < 6; step += 1) await page.keyboard.press("ArrowRight");
  await expect(menu.getByRole("menuitem", { name: "More reactions" })).toBeFocused();
  await page.keyboard.press("Enter");
  const anyEmoji = page.getByRole("dialog", { name: "React with any emoji" });
  await expect(anyEmoji.getByRole("combobox", { name: "Search" })).toBeFocused();
  await page.keyboard.type("avocado");
  await expect(anyEmoji.getByRole("option", { name: /^🥑,/ })).toBeVisible();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await expect(anyEmoji).toHaveCount(0);
  const avocado = linkMessage.getByRole("button", { name: /^🥑 1/ });
  await expect(avocado).toBeVisible();
  await expect(linkMessage).toBeFocused();

  // Enter reaches the link; Tab and Shift+Tab go round the message's controls and never leave it.
  await page.keyboard.press("Enter");
  await expect(link).toBeFocused();
  await expect(link).toHaveAttribute("href", "https://example.com/parley-notes");
  await expect(link).toHaveAttribute("target", "_blank");
  await page.keyboard.press("Tab");
  await expect(chip).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(avocado).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(link).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(avocado).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await expect(link).toBeFocused();
  await screenshot(page, "keyboard-link-focused");
  // Enter on the link opens it in a new tab.
  const popup = page.waitForEvent("popup");
  await page.keyboard.press("Enter");
  const opened = await popup;
  await expect(opened).toHaveURL("https://example.com/parley-notes");
  await opened.close();
  await page.bringToFront();
  await expect(link).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(linkMessage).toBeFocused();

  // Arrows still move between messages; F2 reaches the voice note's controls as Enter does.
  await page.keyboard.press("ArrowUp");
  await expect(voiceMessage).toBeFocused();
  await page.keyboard.press("F2");
  await expect(playButton).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(voiceMessage).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(playButton).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(voiceMessage.getByRole("slider", { name: "Position" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(voiceMessage.getByRole("button", { name: "Playback speed 1×" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(playButton).toBeFocused();
  await screenshot(page, "keyboard-voice-play-focused");
  // Space plays it (the button becomes Pause and keeps focus) and pauses it again.
  await page.keyboard.press(" ");
  const voice = voiceMessage.getByTestId("voice-message");
  await expect(voice).toHaveAttribute("data-playing", "true");
  const pauseButton = voiceMessage.getByRole("button", { name: "Pause voice message" });
  await expect(pauseButton).toBeFocused();
  await page.keyboard.press(" ");
  await expect(voice).toHaveAttribute("data-playing", "false");
  await page.keyboard.press("Escape");
  await expect(voiceMessage).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(linkMessage).toBeFocused();

  // The list is still one Tab stop: Tab from a message leaves for the composer's first button.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Emoji and stickers" })).toBeFocused();

  // The ring in the dark theme, and white on the sender's own blue bubble.
  await page.evaluate(() => window.localStorage.setItem("parley-theme", "dark"));
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(composer(page)).toBeFocused();
  await expect(page.getByTestId("message")).toHaveCount(3);
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await expect.poll(() => focusedMessage(page)).toBe("plain words");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  await expect(voiceMessage).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(playButton).toBeFocused();
  await screenshot(page, "keyboard-voice-play-focused-dark");
  await bo.page.reload();
  await expect(composer(bo.page)).toBeFocused();
  await expect(bo.page.getByTestId("message")).toHaveCount(3);
  await bo.page.keyboard.press("Shift+Tab");
  await bo.page.keyboard.press("Shift+Tab");
  await bo.page.keyboard.press("ArrowUp");
  await bo.page.keyboard.press("Enter");
  await expect(messagesWithText(bo.page, "the notes are at https://example.com/parley-notes").getByRole("link")).toBeFocused();
  await screenshot(bo.page, "keyboard-own-link-focused");

  for (const person of [ada, bo]) await person.context.close();
});

test("a reply's quote, reached with Enter, goes to the message it quotes", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);
  await openChatWith(bo, ada);
  for (const text of ["where shall we meet?", "and when?"]) await send(bo.page, text);

  const page = ada.page;
  await page.goto("/chats");
  await openFromSidebar(page, bo.displayName);
  await expect(page.getByTestId("message")).toHaveCount(2);
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("ArrowUp");
  await expect.poll(() => focusedMessage(page)).toBe("where shall we meet?");
  await page.keyboard.press(" ");
  const menu = page.getByRole("menu", { name: "Message actions" });
  for (let step = 0; step < 10; step += 1) {
    if (await menu.getByRole("menuitem", { name: "Reply" }).evaluate((element) => element === document.activeElement)) break;
    await page.keyboard.press("ArrowDown");
  }
  await page.keyboard.press("Enter");
  await expect(composer(page)).toBeFocused();
  await page.keyboard.type("at the harbour");
  await page.keyboard.press("Enter");
  await expect(messagesWithText(page, "at the harbour")).toHaveCount(1);

  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("End");
  await expect.poll(() => focusedMessage(page)).toBe("at the harbour");
  await page.keyboard.press("Enter");
  const quote = messagesWithText(page, "at the harbour").getByRole("button", { name: "Go to the original message, Bo: where shall we meet?" });
  await expect(quote).toBeFocused();
  await screenshot(page, "keyboard-reply-quote-focused");
  await page.keyboard.press("Enter");
  await expect.poll(() => focusedMessage(page)).toBe("where shall we meet?");
  // The original is now the list's Tab stop: arrows go on from there.
  await page.keyboard.press("ArrowDown");
  await expect.poll(() => focusedMessage(page)).toBe("and when?");

  for (const person of [ada, bo]) await person.context.close();
});

test("Enter reaches a message's pictures and files: a picture opens the lightbox, Escape twice comes back to the message", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);
  await openChatWith(bo, ada);
  const picture = (background: string) => sharp({ create: { width: 600, height: 400, channels: 3, background } }).png().toBuffer();
  await bo.page.getByTestId("attach-input").setInputFiles([
    { name: "harbour.png", mimeType: "image/png", buffer: await picture("#3b82f6") },
    { name: "tower.png", mimeType: "image/png", buffer: await picture("#f59e0b") },
  ]);
  await expect(bo.page.getByTestId("tray-item").last()).toHaveAttribute("data-status", "done");
  await send(bo.page, "two pictures");
  await bo.page.getByTestId("attach-input").setInputFiles({ name: "minutes.txt", mimeType: "text/plain", buffer: Buffer.from("Minutes of the meeting\n") });
  await expect(bo.page.getByTestId("tray-item")).toHaveAttribute("data-status", "done");
  await composer(bo.page).press("Enter");
  await expect(bo.page.getByTestId("attachment-tray")).toHaveCount(0);

  const page = ada.page;
  await page.goto("/chats");
  await openFromSidebar(page, bo.displayName);
  await expect(page.getByTestId("message")).toHaveCount(2);
  const fileMessage = page.getByTestId("message").filter({ has: page.getByTestId("file-card") });
  const albumMessage = messagesWithText(page, "two pictures");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await expect(fileMessage).toBeFocused();
  await page.keyboard.press("Enter");
  const card = fileMessage.getByTestId("file-card");
  await expect(card).toBeFocused();
  await expect(card).toHaveAttribute("download", "minutes.txt");
  await page.keyboard.press("Escape");
  await expect(fileMessage).toBeFocused();

  await page.keyboard.press("ArrowUp");
  await expect(albumMessage).toBeFocused();
  await page.keyboard.press("Enter");
  const tiles = albumMessage.getByTestId("album-image");
  await expect(tiles.first()).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(tiles.last()).toBeFocused();
  await screenshot(page, "keyboard-album-tile-focused");
  await page.keyboard.press("Enter");
  const lightbox = page.getByTestId("lightbox");
  await expect(lightbox).toBeVisible();
  await expect(lightbox).toHaveAccessibleName("tower.png, 2 of 2");
  // Escape closes the lightbox first and gives focus back to the picture, then leaves the message's controls.
  await page.keyboard.press("Escape");
  await expect(lightbox).toHaveCount(0);
  await expect(tiles.last()).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(albumMessage).toBeFocused();

  for (const person of [ada, bo]) await person.context.close();
});
