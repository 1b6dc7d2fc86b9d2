import { expect, newPerson, screenshot, test } from "./support";

test("signing out all other devices: the other device is told why, this one stays and shows itself active now", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  // A second device: its own browser context signed in to the same account.
  const laptop = await browser.newContext({ baseURL: new URL(ada.page.url()).origin });
  const laptopPage = await laptop.newPage();
  await laptopPage.goto("/login");
  await laptopPage.getByLabel("Username").fill(ada.username);
  await laptopPage.getByLabel("Password", { exact: true }).fill(ada.password);
  await laptopPage.getByRole("button", { name: "Sign in" }).click();
  await expect(laptopPage).toHaveURL(/\/chats$/);

  await ada.page.goto("/settings");
  const sessions = ada.page.getByTestId("session");
  await expect(sessions).toHaveCount(2);
  await expect(sessions.first()).toContainText("This device");
  await expect(sessions.first()).toContainText("active now");
  await expect(sessions.nth(1)).toContainText("last active");
  await ada.page.getByRole("button", { name: "Sign out all other devices" }).click();
  await ada.page.getByRole("dialog", { name: "Sign out all other devices?" }).getByRole("button", { name: "Sign out 1 device" }).click();
  await expect(ada.page.getByText("1 other device was signed out.")).toBeVisible();
  await expect(sessions).toHaveCount(1);
  await expect(ada.page.getByRole("button", { name: "Sign out all other devices" })).toBeDisabled();

  await expect(laptopPage).toHaveURL(/\/login\?/);
  await expect(laptopPage.getByText("You were signed out from another device.")).toBeVisible();
  await screenshot(laptopPage, "signed-out-elsewhere");

  // Signing out here, on purpose, says nothing of the kind.
  await ada.page.getByRole("button", { name: "Sign out", exact: true }).first().click();
  await expect(ada.page).toHaveURL(/\/login/);
  await expect(ada.page.getByText("You were signed out from another device.")).toHaveCount(0);
  await laptop.close();
  await ada.context.close();
});
