import { befriend, expect, messagesWithText, newPerson, openFromSidebar, phone, screenshot, send, sidebarItem, test } from "./support";

test("a group of three: messages reach everyone, and a removed member stops receiving", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  const cy = await newPerson(browser, { name: "Cy" });
  await befriend(ada, bo);
  await befriend(ada, cy);
  const title = "Weekend plans";

  // Ada creates the group from the sidebar, picking both friends.
  await ada.page.goto("/chats");
  await ada.page.getByRole("button", { name: "New group" }).click();
  const dialog = ada.page.getByRole("dialog", { name: "New group" });
  await dialog.getByLabel("Group name").fill(title);
  await dialog.getByRole("checkbox", { name: new RegExp(bo.displayName) }).check();
  await dialog.getByRole("checkbox", { name: new RegExp(cy.displayName) }).check();
  await dialog.getByRole("button", { name: /Create group/ }).click();
  await expect(ada.page.getByTestId("conversation-heading")).toHaveText(title);

  // It appears for the others live.
  await openFromSidebar(bo.page, title);
  await openFromSidebar(cy.page, title);

  await send(ada.page, "Hiking on Saturday?");
  await expect(messagesWithText(bo.page, "Hiking on Saturday?")).toHaveCount(1);
  await expect(messagesWithText(cy.page, "Hiking on Saturday?")).toHaveCount(1);
  await send(bo.page, "I'm in");
  await expect(messagesWithText(ada.page, "I'm in")).toHaveCount(1);
  await expect(messagesWithText(cy.page, "I'm in")).toHaveCount(1);
  await send(cy.page, "Me too");
  await expect(messagesWithText(ada.page, "Me too")).toHaveCount(1);
  await expect(messagesWithText(bo.page, "Me too")).toHaveCount(1);
  await expect(messagesWithText(ada.page, "Hiking on Saturday?").getByTestId("delivery-status")).toHaveAttribute("data-status", "read");

  // Ada opens the group's details and removes Cy.
  await ada.page.getByRole("button", { name: "Show details", exact: true }).click();
  const panel = ada.page.getByRole("complementary", { name: `About ${title}` });
  await expect(panel.getByTestId("group-member")).toHaveCount(3);
  await screenshot(ada.page, "group-info");
  await panel.getByRole("button", { name: `Make ${bo.displayName} an admin` }).click();
  await expect(panel.getByTestId("group-member").filter({ hasText: bo.displayName })).toContainText("Admin");
  await panel.getByRole("button", { name: `Remove ${cy.displayName} from the group` }).click();
  await expect(panel.getByTestId("group-member")).toHaveCount(2);
  await expect(cy.page.getByText("This conversation isn’t available")).toBeVisible();
  await expect(sidebarItem(cy.page, title)).toHaveCount(0);

  await send(ada.page, "Cy can't see this");
  await expect(messagesWithText(bo.page, "Cy can't see this")).toHaveCount(1);
  await send(bo.page, "Nor this");
  await expect(messagesWithText(ada.page, "Nor this")).toHaveCount(1);
  await cy.page.waitForTimeout(500);
  await expect(cy.page.getByText("Cy can't see this")).toHaveCount(0);
  await cy.page.goto("/chats");
  await expect(cy.page.getByRole("navigation", { name: "Chats" })).toBeVisible();
  await expect(sidebarItem(cy.page, title)).toHaveCount(0);

  await ada.page.setViewportSize(phone);
  await screenshot(ada.page, "group-info");
  await ada.page.getByRole("button", { name: "Close details" }).click();
  await screenshot(ada.page, "group");

  for (const person of [ada, bo, cy]) await person.context.close();
});
