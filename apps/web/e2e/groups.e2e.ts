import { befriend, expect, messagesWithText, newPerson, openFromSidebar, phone, screenshot, send, sidebarItem, test } from "./support";

test("a group of three: messages reach everyone, every change is in the timeline, and a removed member is told", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  const cy = await newPerson(browser, { name: "Cy" });
  await befriend(ada, bo);
  await befriend(ada, cy);
  const title = "Weekend plans";
  const renamed = "Climbing weekend";

  // Ada starts the group from "New message", picking Bo.
  await ada.page.goto("/chats");
  await ada.page.getByRole("button", { name: "New message" }).click();
  await ada.page.getByRole("dialog", { name: "New message" }).getByRole("button", { name: "New group" }).click();
  const dialog = ada.page.getByRole("dialog", { name: "New group" });
  await dialog.getByLabel("Group name").fill(title);
  await dialog.getByRole("checkbox", { name: new RegExp(bo.displayName) }).check();
  await dialog.getByRole("button", { name: /Create group/ }).click();
  await expect(ada.page.getByTestId("conversation-heading")).toHaveText(title);
  await expect(ada.page.getByText("You created the group")).toBeVisible();

  await openFromSidebar(bo.page, title);
  await expect(bo.page.getByText("Ada created the group")).toBeVisible();
  await send(ada.page, "Hiking on Saturday?");
  await expect(messagesWithText(bo.page, "Hiking on Saturday?")).toHaveCount(1);

  // Ada renames it, adds Cy and makes Bo an admin, from the details panel.
  await ada.page.getByRole("button", { name: "Show details", exact: true }).click();
  const panel = ada.page.getByRole("complementary", { name: `About ${title}` });
  await panel.getByRole("button", { name: "Rename group" }).click();
  await panel.getByLabel("Group name").fill(renamed);
  await panel.getByRole("button", { name: "Save" }).click();
  const renamedPanel = ada.page.getByRole("complementary", { name: `About ${renamed}` });
  await renamedPanel.getByRole("button", { name: "Add members" }).click();
  const adding = ada.page.getByRole("dialog", { name: "Add members" });
  await adding.getByRole("checkbox", { name: new RegExp(cy.displayName) }).check();
  await adding.getByRole("button", { name: /^Add/ }).click();
  await expect(renamedPanel.getByTestId("group-member")).toHaveCount(3);
  await renamedPanel.getByRole("button", { name: `Make ${bo.displayName} an admin` }).click();
  await expect(renamedPanel.getByTestId("group-member").filter({ hasText: bo.displayName })).toContainText("Admin");

  await openFromSidebar(cy.page, renamed);
  await send(cy.page, "Thanks for adding me");
  await expect(messagesWithText(ada.page, "Thanks for adding me")).toHaveCount(1);

  // Removing asks first; Cancel keeps Cy.
  await renamedPanel.getByRole("button", { name: `Remove ${cy.displayName} from the group` }).click();
  const confirm = ada.page.getByRole("dialog", { name: "Remove member?" });
  await expect(confirm).toContainText(`${cy.displayName} will be removed from “${renamed}”`);
  await screenshot(ada.page, "group-remove-confirm");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(renamedPanel.getByTestId("group-member")).toHaveCount(3);
  await renamedPanel.getByRole("button", { name: `Remove ${cy.displayName} from the group` }).click();
  await ada.page.getByRole("dialog", { name: "Remove member?" }).getByRole("button", { name: "Remove" }).click();
  await expect(renamedPanel.getByTestId("group-member")).toHaveCount(2);

  // Cy is told which group, and the conversation is gone for them.
  await expect(cy.page.getByRole("status").filter({ hasText: `You were removed from “${renamed}”` })).toBeVisible();
  await screenshot(cy.page, "group-removed-notice");
  await expect(cy.page.getByText("This conversation isn’t available")).toBeVisible();
  await expect(sidebarItem(cy.page, renamed)).toHaveCount(0);

  await send(ada.page, "Cy can't see this");
  await expect(messagesWithText(bo.page, "Cy can't see this")).toHaveCount(1);
  await cy.page.waitForTimeout(500);
  await expect(cy.page.getByText("Cy can't see this")).toHaveCount(0);

  // Bo leaves; Ada's timeline now tells the whole story, and Cy's message keeps Cy's name.
  await bo.page.getByRole("button", { name: "Show details", exact: true }).click();
  await bo.page.getByRole("button", { name: "Leave group" }).click();
  await bo.page.getByRole("dialog", { name: "Leave group?" }).getByRole("button", { name: "Leave" }).click();
  await expect(bo.page).toHaveURL(/\/chats$/);

  const notices = ada.page.getByTestId("system-notice");
  await expect(notices).toHaveText([
    `You renamed the group to “${renamed}”`,
    "You added Cy",
    "You made Bo an admin",
    "You removed Cy",
    "Bo left the group",
  ]);
  await expect(messagesWithText(ada.page, "Thanks for adding me")).toContainText("Cy");
  await expect(sidebarItem(ada.page, renamed)).toContainText("A member left");
  await ada.page.getByRole("button", { name: "Close details" }).click();
  await screenshot(ada.page, "group-timeline");
  await ada.page.setViewportSize(phone);
  await screenshot(ada.page, "group-timeline");

  for (const person of [ada, bo, cy]) await person.context.close();
});
