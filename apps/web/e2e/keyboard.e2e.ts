import type { Page } from "@playwright/test";

import { befriend, composer, expect, messagesWithText, newPerson, openChatWith, openFromSidebar, screenshot, send, test } from "./support";

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
  await expect(menu.getByRole("menuitem")).toHaveText(["👍", "❤️", "😂", "😮", "😢", "🙏", "Reply", "Copy text", "Forward"]);
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
  await bo.context.grantPermissions(["microphone"]);
  await bo.page.getByRole("button", { name: "Record a voice message" }).click();
  const recorder = bo.page.getByTestId("voice-recorder");
  await expect(recorder.getByTestId("recording-time")).toHaveText("0:01", { timeout: 5_000 });
  await recorder.getByRole("button", { name: "Send voice message" }).click();

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
