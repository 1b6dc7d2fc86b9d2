import { randomUUID } from "node:crypto";

import {
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

test("two people sign up, become friends and chat live, with typing and read receipts", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada", viaUi: true });
  const bo = await newPerson(browser, { name: "Bo", viaUi: true });

  // Ada finds Bo and asks; Bo sees the request arrive live and accepts.
  await ada.page.goto("/friends");
  await ada.page.getByRole("searchbox", { name: "Search people by username or name" }).fill(bo.username);
  await ada.page.getByRole("button", { name: `Add ${bo.displayName} as a friend` }).click();
  await expect(ada.page.getByRole("list", { name: "Sent requests" })).toContainText(bo.displayName);

  await bo.page.goto("/friends");
  const incoming = bo.page.getByRole("list", { name: "Incoming requests" });
  await expect(incoming).toContainText(ada.displayName);
  await screenshot(bo.page, "friends");
  await bo.page.getByRole("button", { name: `Accept ${ada.displayName}` }).click();
  await expect(bo.page.getByRole("list", { name: "Friends" })).toContainText(ada.displayName);
  await expect(ada.page.getByRole("list", { name: "Friends" })).toContainText(bo.displayName);

  // Ada opens the chat; it appears in Bo's sidebar without a reload.
  await openChatWith(ada, bo);
  await expect(sidebarItem(bo.page, ada.displayName)).toBeVisible();
  await openFromSidebar(bo.page, ada.displayName);

  // Typing shows on the other side, then the message arrives and is read.
  await composer(ada.page).pressSequentially("Hello B");
  await expect(bo.page.getByTestId("conversation-subtitle")).toHaveText(`${ada.displayName} is typing…`);
  await composer(ada.page).press("Enter");
  await expect(messagesWithText(bo.page, "Hello B")).toHaveCount(1);
  await expect(messagesWithText(ada.page, "Hello B").getByTestId("delivery-status")).toHaveAttribute("data-status", "read");
  await expect(bo.page.getByTestId("conversation-subtitle")).not.toHaveText(/typing/);

  await composer(bo.page).pressSequentially("Hi Ada, how are you?");
  await expect(ada.page.getByTestId("conversation-subtitle")).toHaveText(`${bo.displayName} is typing…`);
  await composer(bo.page).press("Enter");
  await expect(messagesWithText(ada.page, "Hi Ada, how are you?")).toHaveCount(1);
  await expect(messagesWithText(bo.page, "Hi Ada, how are you?").getByTestId("delivery-status")).toHaveAttribute(
    "data-status",
    "read",
  );

  // A reply, an edit and a reaction travel too.
  await messagesWithText(ada.page, "Hi Ada, how are you?").hover();
  await messagesWithText(ada.page, "Hi Ada, how are you?").getByRole("button", { name: "Reply" }).click();
  await send(ada.page, "Great, thanks!\nAnd you?");
  await expect(bo.page.getByTestId("message").filter({ hasText: "And you?" })).toContainText("Hi Ada, how are you?");

  const bosMessage = messagesWithText(bo.page, "Hi Ada, how are you?");
  await bosMessage.hover();
  await bosMessage.getByRole("button", { name: "React" }).click();
  await bo.page.getByRole("button", { name: "React with 👍" }).click();
  await expect(messagesWithText(ada.page, "Hi Ada, how are you?").getByRole("button", { name: /^👍 1/ })).toBeVisible();

  await bosMessage.hover();
  await bosMessage.getByRole("button", { name: "Edit" }).click();
  await composer(bo.page).fill("Hi Ada! How are you?");
  await composer(bo.page).press("Enter");
  const edited = messagesWithText(ada.page, "Hi Ada! How are you?");
  await expect(edited.getByTestId("edited-marker")).toBeVisible();

  await screenshot(ada.page, "conversation");
  await ada.page.goto("/settings");
  await expect(ada.page.getByTestId("session")).toHaveCount(1);
  await screenshot(ada.page, "settings");

  await ada.page.setViewportSize(phone);
  await ada.page.goto("/chats");
  await expect(sidebarItem(ada.page, bo.displayName)).toBeVisible();
  await screenshot(ada.page, "chats");
  await openFromSidebar(ada.page, bo.displayName);
  await expect(messagesWithText(ada.page, "Hi Ada! How are you?")).toBeVisible();
  await screenshot(ada.page, "conversation");
  await ada.page.goto("/friends");
  await screenshot(ada.page, "friends");
  await ada.page.goto("/settings");
  await screenshot(ada.page, "settings");

  await ada.context.close();
  await bo.context.close();
});

test("a reload keeps history and unread counts; older history loads upward in place", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);

  await openChatWith(ada, bo);
  const conversationId = ada.page.url().split("/").at(-1) ?? "";
  // More than one page of history (50), seeded through the API.
  for (let index = 1; index <= 57; index += 1) {
    await callApi(ada.context, "messages.send", { conversationId, clientId: randomUUID(), body: `history ${index}` });
  }
  for (const text of ["one", "two", "three"]) await send(ada.page, text);

  // Bo is on the chat list, not in the conversation: everything is unread.
  await bo.page.goto("/chats");
  const item = sidebarItem(bo.page, ada.displayName);
  await expect(item.getByTestId("unread-badge")).toHaveText("60");
  await expect(item).toContainText("three");
  await screenshot(bo.page, "chats");

  await bo.page.reload();
  await expect(item.getByTestId("unread-badge")).toHaveText("60");

  await openFromSidebar(bo.page, ada.displayName);
  for (const text of ["one", "two", "three", "history 11"]) await expect(messagesWithText(bo.page, text)).toHaveCount(1);
  await expect(messagesWithText(bo.page, "history 10")).toHaveCount(0);
  await expect(item.getByTestId("unread-badge")).toHaveCount(0);
  await expect(messagesWithText(ada.page, "three").getByTestId("delivery-status")).toHaveAttribute("data-status", "read");

  // Scrolling to the top loads the older page above without moving what is on screen.
  const anchor = messagesWithText(bo.page, "history 11");
  await bo.page.getByTestId("message-scroller").evaluate((element) => {
    element.scrollTop = 0;
  });
  await expect(messagesWithText(bo.page, "history 1")).toHaveCount(1);
  await expect(bo.page.getByText("This is the beginning of the conversation.")).toBeAttached();
  const anchorTop = (await anchor.boundingBox())?.y ?? -1;
  expect(anchorTop).toBeGreaterThan(0);
  // Without the adjustment the ten prepended messages would push it a few hundred pixels down.
  expect(anchorTop).toBeLessThan(300);

  // Everything was unread when the chat opened: the divider sits above the first message, and only once.
  const divider = bo.page.getByTestId("unread-divider");
  await expect(divider).toHaveCount(1);
  await expect(bo.page.locator('[data-testid="unread-divider"] + li')).toHaveAttribute("data-message-id", /.+/);
  await expect(bo.page.locator('[data-testid="unread-divider"] + li').getByTestId("message-body")).toHaveText(/^history 1\b/);
  await divider.scrollIntoViewIfNeeded();
  await screenshot(bo.page, "unread-divider");

  await bo.page.reload();
  for (const text of ["one", "two", "three"]) await expect(messagesWithText(bo.page, text)).toHaveCount(1);
  await expect(item.getByTestId("unread-badge")).toHaveCount(0);

  await ada.page.reload();
  await expect(messagesWithText(ada.page, "three").getByTestId("delivery-status")).toHaveAttribute("data-status", "read");

  await ada.context.close();
  await bo.context.close();
});

test("messages sent to and from a device that went offline arrive exactly once when it returns", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  await befriend(ada, bo);
  await openChatWith(ada, bo);
  await send(ada.page, "before the tunnel");
  await openFromSidebar(bo.page, ada.displayName);
  await expect(messagesWithText(bo.page, "before the tunnel")).toHaveCount(1);

  await ada.context.setOffline(true);
  await expect(ada.page.getByTestId("connection-status")).toHaveAttribute("data-state", "offline");
  await expect(ada.page.getByTestId("connection-status")).toContainText("offline");

  await send(bo.page, "are you there?");
  await send(bo.page, "ping");
  await send(ada.page, "typed in the tunnel");
  await expect(messagesWithText(ada.page, "typed in the tunnel").getByTestId("delivery-status")).toHaveAttribute(
    "data-status",
    "sending",
  );
  // The queued message survives in localStorage with its clientId until the server has it.
  const queued = await ada.page.evaluate(
    (userId) => JSON.parse(localStorage.getItem(`parley.outbox.${userId}`) ?? "[]") as { clientId: string; body: string }[],
    ada.id,
  );
  expect(queued.map((entry) => entry.body)).toEqual(["typed in the tunnel"]);
  await ada.page.waitForTimeout(500);
  await expect(messagesWithText(ada.page, "are you there?")).toHaveCount(0);
  await screenshot(ada.page, "offline");

  await ada.context.setOffline(false);
  await expect(ada.page.getByTestId("connection-status")).toHaveAttribute("data-state", "open");
  await expect(messagesWithText(ada.page, "are you there?")).toHaveCount(1);
  await expect(messagesWithText(ada.page, "ping")).toHaveCount(1);
  await expect(messagesWithText(bo.page, "typed in the tunnel")).toHaveCount(1);
  await expect(messagesWithText(ada.page, "typed in the tunnel").getByTestId("delivery-status")).toHaveAttribute(
    "data-status",
    "read",
  );

  // Settled: still exactly once on both sides, also after the stream's catch-up and a reload.
  await ada.page.waitForTimeout(1_000);
  for (const page of [ada.page, bo.page]) {
    for (const text of ["before the tunnel", "are you there?", "ping", "typed in the tunnel"]) {
      await expect(messagesWithText(page, text)).toHaveCount(1);
    }
  }
  expect(await ada.page.evaluate((userId) => localStorage.getItem(`parley.outbox.${userId}`), ada.id)).toBeNull();
  await bo.page.reload();
  await expect(messagesWithText(bo.page, "typed in the tunnel")).toHaveCount(1);

  await ada.context.close();
  await bo.context.close();
});

test("a message written and not sent stays as a draft: shown in the chat list, kept across a reload, gone once sent or signed out", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo" });
  const cy = await newPerson(browser, { name: "Cy" });
  await befriend(ada, bo);
  await befriend(ada, cy);
  await openChatWith(ada, cy);
  await openChatWith(ada, bo);
  await composer(ada.page).fill("half a thought\nto finish later");

  await openFromSidebar(ada.page, cy.displayName);
  const boItem = sidebarItem(ada.page, bo.displayName);
  await expect(boItem.getByTestId("conversation-preview")).toHaveText("Draft: half a thought to finish later");
  await screenshot(ada.page, "chat-list-draft");

  await ada.page.reload();
  await expect(boItem.getByTestId("conversation-preview")).toHaveText("Draft: half a thought to finish later");
  await openFromSidebar(ada.page, bo.displayName);
  await expect(composer(ada.page)).toHaveValue("half a thought\nto finish later");
  await composer(ada.page).press("Enter");
  await expect(messagesWithText(ada.page, "half a thought to finish later")).toHaveCount(1);
  await expect(composer(ada.page)).toHaveValue("");

  await openFromSidebar(ada.page, cy.displayName);
  await expect(boItem.getByTestId("conversation-preview")).toHaveText(/^You: half a thought/);
  await ada.page.reload();
  await openFromSidebar(ada.page, bo.displayName);
  await expect(composer(ada.page)).toHaveValue("");

  // A draft left behind is forgotten when the account signs out of this browser.
  await composer(ada.page).fill("not for the next person here");
  await openFromSidebar(ada.page, cy.displayName);
  await expect(boItem.getByTestId("conversation-preview")).toHaveText("Draft: not for the next person here");
  const storedDraft = () => ada.page.evaluate((userId) => localStorage.getItem(`parley.drafts.${userId}`), ada.id);
  expect(await storedDraft()).toContain("not for the next person here");
  await ada.page.goto("/settings");
  await ada.page.getByRole("button", { name: "Sign out", exact: true }).first().click();
  await expect(ada.page).toHaveURL(/\/login/);
  expect(await storedDraft()).toBeNull();
});
