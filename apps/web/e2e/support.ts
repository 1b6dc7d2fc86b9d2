import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test as base, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";

export const baseUrl = process.env.PARLEY_E2E_BASE_URL ?? "";
const screenshotDir = join(dirname(dirname(fileURLToPath(import.meta.url))), "test-results", "screenshots");

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

/** Console reports of anything the page's Content-Security-Policy blocked, in the running test. */
const cspViolations: string[] = [];

function watchForCspViolations(context: BrowserContext): void {
  context.on("console", (message) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(message.text())) cspViolations.push(message.text());
  });
}

export const test = base.extend<{ noCspViolations: void }>({
  baseURL: async ({}, use) => {
    if (!baseUrl) throw new Error("PARLEY_E2E_BASE_URL is not set: run through playwright.config.ts (global setup)");
    await use(baseUrl);
  },
  // Every test fails if any page it opened broke the policy (a blocked script, style or socket).
  noCspViolations: [
    async ({ context }, use) => {
      cspViolations.length = 0;
      watchForCspViolations(context);
      await use();
      expect(cspViolations, "the pages broke their Content-Security-Policy").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

export interface Person {
  id: string;
  username: string;
  displayName: string;
  password: string;
  context: BrowserContext;
  page: Page;
}

let counter = 0;

/** A username no other test (or earlier run against the same server) has used. */
export function uniqueUsername(prefix: string): string {
  counter += 1;
  const safePrefix = prefix.replace(/[^a-z0-9]/g, "").slice(0, 8) || "user";
  return `${safePrefix}_${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e4)}`.slice(0, 32);
}

export const password = "violet-harbour-lantern-42";

/** Calls a tRPC procedure over HTTP with the context's cookie, as the page itself would. */
export async function callApi<TResult = unknown>(context: BrowserContext, path: string, input?: unknown): Promise<TResult> {
  const response = await context.request.post(`${baseUrl}/api/trpc/${path}`, {
    headers: { "content-type": "application/json", origin: baseUrl, "x-parley-session": "cookie" },
    data: input === undefined ? undefined : JSON.stringify(input),
  });
  const body = (await response.json()) as { result?: { data: TResult }; error?: unknown };
  if (!response.ok() || !body.result) throw new Error(`${path} failed: ${response.status()} ${JSON.stringify(body.error)}`);
  return body.result.data;
}

/** Calls a tRPC query (GET) with the context's cookie. */
export async function queryApi<TResult = unknown>(context: BrowserContext, path: string): Promise<TResult> {
  const response = await context.request.get(`${baseUrl}/api/trpc/${path}`);
  const body = (await response.json()) as { result?: { data: TResult }; error?: unknown };
  if (!response.ok() || !body.result) throw new Error(`${path} failed: ${response.status()} ${JSON.stringify(body.error)}`);
  return body.result.data;
}

/** A signed-in person in their own browser context; registered through the API unless `viaUi`. */
export async function newPerson(
  browser: Browser,
  options: { name: string; viaUi?: boolean; viewport?: { width: number; height: number } },
): Promise<Person> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: options.viewport ?? desktop });
  watchForCspViolations(context);
  const page = await context.newPage();
  const username = uniqueUsername(options.name.toLowerCase());
  const displayName = options.name;
  if (options.viaUi) {
    await page.goto("/register");
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Display name (optional)").fill(displayName);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/chats$/);
  } else {
    await callApi(context, "auth.register", { username, password, displayName });
    await page.goto("/chats");
  }
  const me = await queryApi<{ id: string }>(context, "auth.me");
  await expect(page.getByRole("link", { name: new RegExp(`^${displayName}\\s*@${username}\\s*, settings$`) })).toBeVisible();
  return { id: me.id, username, displayName, password, context, page };
}

/** Makes two people friends through the API (the UI flow has its own test). */
export async function befriend(a: Person, b: Person): Promise<void> {
  await callApi(a.context, "friends.request", { username: b.username });
  await callApi(b.context, "friends.accept", { userId: a.id });
}

/** Opens (creating on first use) the direct chat with `other` through the Friends page. */
export async function openChatWith(person: Person, other: Person): Promise<void> {
  await person.page.goto("/friends");
  await person.page.getByRole("button", { name: `Message ${other.displayName}` }).click();
  await expect(person.page).toHaveURL(/\/chats\/[0-9a-f-]{36}$/);
  await expect(person.page.getByTestId("conversation-heading")).toHaveText(other.displayName);
}

/** Opens a conversation from the sidebar by its title. */
export async function openFromSidebar(page: Page, title: string): Promise<void> {
  await page.getByTestId("conversation-item").filter({ has: page.getByTestId("conversation-title").getByText(title, { exact: true }) }).click();
  await expect(page.getByTestId("conversation-heading")).toHaveText(title);
}

export function composer(page: Page): Locator {
  return page.getByRole("textbox", { name: /^Message / });
}

export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press("Enter");
  await expect(composer(page)).toHaveValue("");
}

/** Records a voice note of `seconds` with the fake microphone and sends it. */
export async function sendVoiceNote(person: Person, seconds: number): Promise<void> {
  await person.context.grantPermissions(["microphone"]);
  await person.page.getByRole("button", { name: "Record a voice message" }).click();
  const recorder = person.page.getByTestId("voice-recorder");
  await expect(recorder.getByTestId("recording-time")).toHaveText(`0:0${seconds}`, { timeout: 5_000 });
  await recorder.getByRole("button", { name: "Send voice message" }).click();
  await expect(recorder).toHaveCount(0);
}

/** Every bubble whose body is exactly `text`. */
export function messagesWithText(page: Page, text: string): Locator {
  return page.getByTestId("message").filter({ has: page.getByTestId("message-body").getByText(text, { exact: true }) });
}

export function sidebarItem(page: Page, title: string): Locator {
  return page.getByTestId("conversation-item").filter({ has: page.getByTestId("conversation-title").getByText(title, { exact: true }) });
}

/** Saves `name-desktop.png` or `name-phone.png` under test-results/screenshots. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  const size = page.viewportSize();
  const label = size && size.width < 600 ? "phone" : "desktop";
  // Let transitions and the first-connect grace period settle.
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(screenshotDir, `${name}-${label}.png`) });
}
