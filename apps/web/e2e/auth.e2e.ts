import {
  baseUrl,
  befriend,
  desktop,
  expect,
  messagesWithText,
  newPerson,
  openChatWith,
  openFromSidebar,
  password,
  phone,
  screenshot,
  send,
  test,
} from "./support";

test("sign-in errors are shown inline, and a signed-out visitor returns to where they were going", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada", viaUi: true });

  const visitor = await browser.newContext({ baseURL: baseUrl, viewport: desktop });
  const page = await visitor.newPage();

  await page.goto("/friends");
  await expect(page).toHaveURL(/\/login\?next=%2Ffriends$/);
  await screenshot(page, "login");

  await page.getByLabel("Username").fill(ada.username);
  await page.getByLabel("Password").fill("not-the-password-at-all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toHaveText("Wrong username or password");

  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL(/\/register\?next=%2Ffriends$/);
  await page.getByLabel("Username").fill(ada.username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Username")).toHaveAccessibleDescription("Username is taken");

  await page.getByLabel("Username").fill(`${ada.username}x`.slice(0, 32));
  await page.getByLabel("Password", { exact: true }).fill("password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Password", { exact: true })).toHaveAccessibleDescription(/common|at least/i);
  await page.setViewportSize(phone);
  await screenshot(page, "register-errors");
  await page.setViewportSize(desktop);

  await page.getByRole("link", { name: "Sign in" }).click();
  // Wait for the sign-in form itself: the sign-up form's fields have the same labels.
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to Parley" })).toBeVisible();
  await page.getByLabel("Username").fill(ada.username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/friends$/);
  await expect(page.getByRole("heading", { name: "Friends", level: 1 })).toBeVisible();

  // The session cookie is HttpOnly: page JavaScript cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain("parley_session");
  const cookies = await visitor.cookies();
  expect(cookies.find((cookie) => cookie.name === "parley_session")?.httpOnly).toBe(true);

  await page.goto("/settings");
  await expect(page.getByTestId("session")).toHaveCount(2);
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/chats");
  await expect(page).toHaveURL(/\/login\?next=%2Fchats$/);

  await visitor.close();
  await ada.context.close();
});

test("message text that looks like HTML is shown as text", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo <b>bold</b>" });
  await befriend(ada, bo);
  await openChatWith(ada, bo);
  await openFromSidebar(bo.page, ada.displayName);

  const payload = `<script>window.__parleyInjected = true</script><img src=x onerror="window.__parleyInjected = true">`;
  await send(ada.page, payload);
  const received = messagesWithText(bo.page, payload);
  await expect(received).toHaveCount(1);
  await expect(received.locator("script, img")).toHaveCount(0);
  expect(await bo.page.evaluate(() => (window as { __parleyInjected?: boolean }).__parleyInjected)).toBeUndefined();
  await expect(ada.page.getByTestId("conversation-heading")).toHaveText(bo.displayName);
  await expect(ada.page.locator("b")).toHaveCount(0);

  await ada.context.close();
  await bo.context.close();
});
