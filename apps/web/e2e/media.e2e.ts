import { readFile } from "node:fs/promises";

import type { Page } from "@playwright/test";

import { befriend, composer, expect, messagesWithText, newPerson, openChatWith, phone, screenshot, test } from "./support";

/** A real PNG drawn in the page's canvas: a few coloured bands, `width` × `height`. */
async function drawnPng(page: Page, width: number, height: number, hue: number): Promise<Buffer> {
  const dataUrl = await page.evaluate(
    ({ width, height, hue }) => {
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext("2d");
      if (!context) throw new Error("no 2d canvas");
      for (let band = 0; band < 6; band++) {
        context.fillStyle = `hsl(${hue + band * 25} 70% ${35 + band * 8}%)`;
        context.fillRect(0, (band * height) / 6, width, height / 6 + 1);
      }
      context.fillStyle = "#fff";
      context.beginPath();
      context.arc(width * 0.7, height * 0.35, Math.min(width, height) * 0.12, 0, Math.PI * 2);
      context.fill();
      return canvas.toDataURL("image/png");
    },
    { width, height, hue },
  );
  return Buffer.from(dataUrl.split(",")[1] ?? "", "base64");
}

async function friendsInChat(browser: Parameters<typeof newPerson>[0], viewport?: { width: number; height: number }) {
  const ada = await newPerson(browser, { name: "Ada", viewport });
  const bo = await newPerson(browser, { name: "Bo", viewport });
  await befriend(ada, bo);
  await openChatWith(ada, bo);
  await openChatWith(bo, ada);
  return { ada, bo };
}

test("a photo sent with a caption shows as a thumbnail on the other side and opens in the lightbox", async ({ browser }) => {
  const { ada, bo } = await friendsInChat(browser);
  const png = await drawnPng(ada.page, 1200, 800, 200);
  const second = await drawnPng(ada.page, 600, 900, 20);

  await ada.page.getByTestId("attach-input").setInputFiles([
    { name: "harbour.png", mimeType: "image/png", buffer: png },
    { name: "tower.png", mimeType: "image/png", buffer: second },
  ]);
  await expect(ada.page.getByTestId("tray-item")).toHaveCount(2);
  await expect(ada.page.getByTestId("tray-item").first()).toHaveAttribute("data-status", "done");
  await expect(ada.page.getByTestId("tray-item").last()).toHaveAttribute("data-status", "done");
  await screenshot(ada.page, "media-tray");
  await composer(ada.page).fill("The harbour at noon");
  await composer(ada.page).press("Enter");
  await expect(ada.page.getByTestId("attachment-tray")).toHaveCount(0);

  const received = messagesWithText(bo.page, "The harbour at noon");
  await expect(received.getByTestId("album-image")).toHaveCount(2);
  const thumbnail = received.getByTestId("album-image").first().locator("img");
  await expect(thumbnail).toHaveAttribute("src", /\/api\/media\//);
  await expect.poll(() => thumbnail.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0)).toBe(true);
  // The server's thumbnail is small; the full picture opens in the lightbox.
  expect(await thumbnail.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeLessThanOrEqual(320);
  await expect(bo.page.getByTestId("conversation-item").first()).toContainText("📷 The harbour at noon");
  await screenshot(bo.page, "media-album");

  await received.getByTestId("album-image").first().click();
  const lightbox = bo.page.getByTestId("lightbox");
  await expect(lightbox).toBeVisible();
  const full = lightbox.getByTestId("lightbox-image");
  await expect.poll(() => full.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(1200);
  await expect(lightbox.getByRole("link", { name: "Download" })).toHaveAttribute("download", "harbour.png");
  await screenshot(bo.page, "media-lightbox");
  await bo.page.keyboard.press("ArrowRight");
  await expect(lightbox).toHaveAccessibleName("tower.png, 2 of 2");
  await expect.poll(() => full.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(600);
  await bo.page.keyboard.press("Escape");
  await expect(lightbox).toHaveCount(0);
});

test("a voice note is recorded, sent and played on the other side", async ({ browser }) => {
  const { ada, bo } = await friendsInChat(browser);
  await ada.context.grantPermissions(["microphone"]);

  await ada.page.getByRole("button", { name: "Record a voice message" }).click();
  const recorder = ada.page.getByTestId("voice-recorder");
  await expect(recorder).toBeVisible();
  await expect(recorder.getByTestId("recording-time")).toHaveText("0:02", { timeout: 5_000 });
  await screenshot(ada.page, "voice-recording");
  await recorder.getByRole("button", { name: "Send voice message" }).click();
  await expect(recorder).toHaveCount(0);

  const voice = bo.page.getByTestId("voice-message");
  await expect(voice).toHaveCount(1);
  await expect(voice.getByTestId("voice-time")).toHaveText(/^0:(0[2-9]|[1-5]\d)$/);
  // The waveform came from the recording: the fake microphone's tone is not silence.
  const heights = await voice.getByTestId("voice-waveform").locator("span").evaluateAll((bars) => bars.map((bar) => (bar as HTMLElement).style.height));
  expect(heights.some((height) => height !== "12%")).toBe(true);
  await screenshot(bo.page, "voice-received");

  await voice.getByRole("button", { name: "Playback speed 1×" }).click();
  await expect(voice.getByRole("button", { name: "Playback speed 1.5×" })).toBeVisible();
  await voice.getByRole("button", { name: "Play voice message" }).click();
  await expect(voice).toHaveAttribute("data-playing", "true");
  await expect(voice.getByRole("slider", { name: "Position" })).not.toHaveAttribute("aria-valuenow", "0", { timeout: 5_000 });
  await expect(voice).toHaveAttribute("data-playing", "false", { timeout: 10_000 });
});

test("a file is downloaded under its own name", async ({ browser }) => {
  const { ada, bo } = await friendsInChat(browser);
  const contents = "Minutes of the harbour meeting\nAttendees: Ada, Bo\n";
  await ada.page.getByTestId("attach-input").setInputFiles({ name: "minutes 2026-12.txt", mimeType: "text/plain", buffer: Buffer.from(contents) });
  await expect(ada.page.getByTestId("tray-item")).toHaveAttribute("data-status", "done");
  await composer(ada.page).press("Enter");

  const card = bo.page.getByTestId("file-card");
  await expect(card.getByTestId("file-name")).toHaveText("minutes 2026-12.txt");
  await expect(card).toContainText("TXT");
  await screenshot(bo.page, "file-card");
  const [download] = await Promise.all([bo.page.waitForEvent("download"), card.click()]);
  expect(download.suggestedFilename()).toBe("minutes 2026-12.txt");
  const path = await download.path();
  expect(await readFile(path, "utf8")).toBe(contents);
});

test("emoji from the picker, a reaction from the full set and a sticker, on a phone", async ({ browser }) => {
  const { ada, bo } = await friendsInChat(browser, phone);

  await ada.page.getByRole("button", { name: "Emoji and stickers" }).click();
  const panel = ada.page.getByTestId("emoji-panel");
  await panel.getByRole("combobox", { name: "Search" }).fill("rocket");
  await panel.getByRole("option", { name: /^🚀,/ }).click();
  await expect(composer(ada.page)).toHaveValue("🚀");
  await screenshot(ada.page, "emoji-picker");
  await composer(ada.page).press("Enter");
  await expect(messagesWithText(bo.page, "🚀")).toHaveCount(1);

  // Bo reacts with an emoji outside the quick row.
  const bubble = messagesWithText(bo.page, "🚀");
  await bubble.getByTestId("message-body").click();
  await bubble.getByRole("button", { name: "React" }).click();
  await bo.page.getByRole("button", { name: "More reactions" }).click();
  const dialog = bo.page.getByRole("dialog", { name: "React with any emoji" });
  await dialog.getByRole("combobox", { name: "Search" }).fill("avocado");
  await dialog.getByRole("option", { name: /^🥑,/ }).click();
  await expect(messagesWithText(ada.page, "🚀").getByRole("button", { name: /^🥑 1/ })).toBeVisible();
  // A message of emoji alone is shown large, in the colour emoji font.
  await expect(bubble.getByTestId("message-body")).toHaveAttribute("data-jumbo", "true");
  await screenshot(bo.page, "emoji-jumbo");

  await ada.page.getByRole("button", { name: "Emoji and stickers" }).click();
  await ada.page.getByRole("tab", { name: "Stickers" }).click();
  await expect(ada.page.getByTestId("sticker-panel")).toBeVisible();
  await screenshot(ada.page, "sticker-picker");
  await ada.page.getByRole("button", { name: /^Send sticker / }).first().click();
  const sticker = bo.page.getByTestId("sticker");
  await expect(sticker).toHaveCount(1);
  await expect.poll(() => sticker.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0);
  await screenshot(bo.page, "sticker-received");
});

test("a profile picture is cropped in Settings and shown to a friend, on a phone", async ({ browser }) => {
  const { ada, bo } = await friendsInChat(browser, phone);
  const picture = await drawnPng(ada.page, 900, 600, 120);
  const photo = await drawnPng(ada.page, 800, 1000, 300);

  const chatUrl = ada.page.url();
  await ada.page.goto("/settings");
  await ada.page.getByTestId("avatar-input").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: picture });
  const dialog = ada.page.getByRole("dialog", { name: "Crop your picture" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("slider").fill("2");
  await screenshot(ada.page, "avatar-crop");
  await dialog.getByRole("button", { name: "Save picture" }).click();
  await expect(dialog).toBeHidden();
  const own = ada.page.getByRole("button", { name: "Change profile picture" }).getByTestId("avatar-image");
  await expect(own).toHaveAttribute("src", /\/api\/media\//);
  await expect.poll(() => own.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(256);

  // Bo sees it in the chat header without a reload, and a photo from Ada fits the phone.
  const header = bo.page.getByRole("region", { name: "Conversation" }).getByTestId("avatar-image");
  await expect(header).toBeVisible();
  await expect(header).toHaveAttribute("src", (await own.getAttribute("src")) ?? "");
  await ada.page.goto(chatUrl);
  await expect(ada.page.getByTestId("conversation-heading")).toHaveText(bo.displayName);
  await ada.page.getByTestId("attach-input").setInputFiles({ name: "portrait.png", mimeType: "image/png", buffer: photo });
  await expect(ada.page.getByTestId("tray-item")).toHaveAttribute("data-status", "done");
  await screenshot(ada.page, "media-tray");
  await composer(ada.page).press("Enter");
  await expect(bo.page.getByTestId("album-image")).toHaveCount(1);
  await expect.poll(() => bo.page.getByTestId("album-image").locator("img").evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0);
  await screenshot(bo.page, "media-album");
});
