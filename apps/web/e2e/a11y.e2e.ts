import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";

import { befriend, desktop, expect, newPerson, openChatWith, phone, screenshot, send, test } from "./support";

const sizes = { desktop, phone } as const;
const themes = ["light", "dark"] as const;

/** Serious and critical findings of axe's WCAG 2.x A and AA rules on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(" ")).slice(0, 5).join(", ")}`);
}

async function setTheme(page: Page, theme: (typeof themes)[number]): Promise<void> {
  await page.evaluate((value) => window.localStorage.setItem("parley-theme", value), theme);
}

test("the sign-in, chat list, conversation, friends and settings screens pass axe at both sizes in both themes", async ({ browser }) => {
  test.setTimeout(240_000);
  const ada = await newPerson(browser, { name: "Ada Lovelace" });
  const bo = await newPerson(browser, { name: "Bartholomew Oyelaran-Whitfield" });
  await befriend(ada, bo);
  await openChatWith(ada, bo);
  await send(ada.page, "Hello Bo, are you free on Saturday?");
  await send(ada.page, "We could go climbing.");
  const conversationUrl = ada.page.url();
  const signedOut = await browser.newContext({ baseURL: ada.page.url().replace(/\/chats.*$/, "") });
  const visitor = await signedOut.newPage();

  const screens: { name: string; page: Page; url: string; ready: (page: Page) => Promise<void> }[] = [
    { name: "sign-in", page: visitor, url: "/login", ready: (page) => expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled() },
    {
      name: "chat-list",
      page: ada.page,
      url: "/chats",
      ready: (page) => expect(page.getByTestId("conversation-item")).toHaveCount(1),
    },
    {
      name: "conversation",
      page: ada.page,
      url: new URL(conversationUrl).pathname,
      ready: (page) => expect(page.getByTestId("message")).toHaveCount(2),
    },
    {
      name: "friends",
      page: ada.page,
      url: "/friends",
      ready: (page) => expect(page.getByRole("list", { name: "Friends" }).getByTestId("person")).toHaveCount(1),
    },
    {
      name: "settings",
      page: ada.page,
      url: "/settings",
      ready: (page) => expect(page.getByTestId("session")).toHaveCount(1),
    },
  ];

  const failures: string[] = [];
  for (const [sizeName, size] of Object.entries(sizes)) {
    for (const theme of themes) {
      for (const screen of screens) {
        await screen.page.setViewportSize(size);
        await screen.page.goto(screen.url);
        await setTheme(screen.page, theme);
        await screen.page.reload();
        await expect(screen.page.locator("html")).toHaveAttribute("data-theme", theme);
        await screen.ready(screen.page);
        await screenshot(screen.page, `a11y-${screen.name}-${theme}`);
        for (const violation of await seriousViolations(screen.page)) failures.push(`${screen.name}, ${sizeName}, ${theme}: ${violation}`);
      }
    }
  }
  expect(failures).toEqual([]);
  await signedOut.close();
  for (const person of [ada, bo]) await person.context.close();
});

test("signed-out pages log no console errors, and an unknown address gets the styled 404 page", async ({ browser }) => {
  const context = await browser.newContext({ viewport: desktop });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
  for (const path of ["/", "/login", "/register", "/login?next=%2Fsettings&signedOut=ended"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.waitForLoadState("networkidle");
  }
  await expect(page.getByText("You were signed out from another device")).toBeVisible();

  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "This page doesn’t exist" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Go to your chats" })).toBeVisible();
  await screenshot(page, "not-found");
  // The browser reports the 404 response itself as a console error; nothing else may appear.
  expect(errors.filter((error) => !/status of 404/.test(error))).toEqual([]);
  await context.close();
});

test("the theme chosen in settings is kept and applied before the page paints", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  await ada.page.emulateMedia({ colorScheme: "light" });
  await ada.page.goto("/settings");
  await ada.page.getByRole("radio", { name: "Dark" }).check({ force: true });
  await expect(ada.page.locator("html")).toHaveAttribute("data-theme", "dark");
  await ada.page.reload();
  // Set by the inline script in <head>, before any React code runs.
  expect(await ada.page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
  await expect(ada.page.getByRole("radio", { name: "Dark" })).toBeChecked();
  await ada.page.getByRole("radio", { name: "System" }).check({ force: true });
  await expect(ada.page.locator("html")).toHaveAttribute("data-theme", "light");
  await ada.page.emulateMedia({ colorScheme: "dark" });
  await expect(ada.page.locator("html")).toHaveAttribute("data-theme", "dark");
  await screenshot(ada.page, "settings-dark");
  await ada.context.close();
});
