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
  test,
} from "./support";

test("a burn-after-reading message disappears on both screens after the reader saw it", async ({ browser }) => {
  // The shortest timer is 30 s, counted from Bo's read.
  test.setTimeout(120_000);
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo", viewport: phone });
  await befriend(ada, bo);
  await openChatWith(ada, bo);

  await ada.page.getByRole("button", { name: "Disappearing messages: Off" }).click();
  const dialog = ada.page.getByRole("dialog", { name: "Disappearing messages" });
  await dialog.getByLabel("30 seconds").check();
  await dialog.getByLabel("When each person reads it (burn after reading)").check();
  await screenshot(ada.page, "disappearing-settings");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(ada.page.getByTestId("system-notice")).toHaveText("You set disappearing messages to 30 seconds after reading");

  await send(ada.page, "This note burns after reading");
  const onAda = messagesWithText(ada.page, "This note burns after reading");
  await expect(onAda.getByTestId("disappearing-badge")).toBeVisible();
  // Nobody has read it yet: it waits, whatever the time.
  await ada.page.waitForTimeout(1_500);
  await expect(onAda).toHaveCount(1);

  await openFromSidebar(bo.page, ada.displayName);
  const onBo = messagesWithText(bo.page, "This note burns after reading");
  await expect(onBo).toHaveCount(1);
  await expect(bo.page.getByTestId("system-notice")).toHaveText("Ada set disappearing messages to 30 seconds after reading");
  await expect(onBo.getByTestId("disappearing-badge")).toHaveText(/^([12]\d|30)s$/);
  await expect(bo.page.getByRole("button", { name: "Disappearing messages: 30 seconds after reading" })).toBeVisible();
  await expect(onAda.getByTestId("delivery-status")).toHaveAttribute("data-status", "read");
  await screenshot(bo.page, "burn-after-reading");
  await screenshot(ada.page, "burn-after-reading");

  await expect(onBo).toHaveCount(0, { timeout: 45_000 });
  await expect(onAda).toHaveCount(0, { timeout: 15_000 });
  // Gone from the server too: a reload does not bring it back.
  await bo.page.reload();
  await expect(bo.page.getByTestId("system-notice")).toBeVisible();
  await expect(messagesWithText(bo.page, "This note burns after reading")).toHaveCount(0);
});

test("a search for a Chinese word finds the message and jumps to it", async ({ browser }) => {
  const ada = await newPerson(browser, { name: "Ada" });
  const bo = await newPerson(browser, { name: "Bo", viewport: phone });
  await befriend(ada, bo);
  await openChatWith(ada, bo);
  const conversation = await callApi<{ id: string }>(ada.context, "conversations.openDirect", { userId: bo.id });

  // The message is far back, beyond the first page the conversation opens with.
  await send(ada.page, "我们明天去北京吃烤鸭，好吗？");
  for (let index = 1; index <= 60; index += 1) {
    await callApi(ada.context, "messages.send", { conversationId: conversation.id, clientId: crypto.randomUUID(), body: `later message ${index}` });
    // Under the send rate limit (10 a second after a burst of 30).
    if (index > 20) await ada.page.waitForTimeout(110);
  }
  await expect(messagesWithText(ada.page, "later message 60")).toHaveCount(1);

  await bo.page.goto("/chats");
  const search = bo.page.getByRole("searchbox", { name: "Search chats, people and messages" });
  await search.fill("北京");
  const result = bo.page.getByTestId("search-message");
  await expect(result).toHaveCount(1);
  await expect(result.locator("mark")).toHaveText("北京");
  await screenshot(bo.page, "message-search");

  await search.press("ArrowDown");
  await search.press("Enter");
  await expect(bo.page).toHaveURL(/\/chats\/[0-9a-f-]{36}\?message=/);
  const found = messagesWithText(bo.page, "我们明天去北京吃烤鸭，好吗？");
  await expect(found).toBeInViewport();
  await expect(found.locator(".ring-amber-400")).toHaveCount(1);
  await screenshot(bo.page, "search-jump");

  // Forward it on from the message menu, to Ada's notes group.
  await callApi(bo.context, "conversations.createGroup", { title: "Trip plans" });
  await found.hover();
  await found.getByRole("button", { name: "Forward" }).click();
  const picker = bo.page.getByRole("dialog", { name: "Forward to…" });
  await picker.getByLabel("Trip plans").check();
  await picker.getByRole("button", { name: "Forward" }).click();
  await expect(picker).toBeHidden();
  // On a phone the chat list is its own screen.
  await bo.page.goto("/chats");
  await openFromSidebar(bo.page, "Trip plans");
  const copy = messagesWithText(bo.page, "我们明天去北京吃烤鸭，好吗？");
  await expect(copy.getByTestId("forwarded-label")).toHaveText("Forwarded from Ada");
  await expect(composer(bo.page)).toBeVisible();
});
