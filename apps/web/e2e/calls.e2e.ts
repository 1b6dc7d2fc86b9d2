import { befriend, expect, newPerson, openChatWith, openFromSidebar, phone, screenshot, sidebarItem, test, type Person } from "./support";

/**
 * Calls between two real browsers: Chromium's fake devices stand in for the camera and
 * microphone, and the two pages connect peer to peer on this machine (host candidates, no STUN).
 * What each page's RTCPeerConnection and remote tracks report is shown on the call screen's
 * participant tile as data attributes, which is what these tests read.
 */

async function callPair(browser: Parameters<typeof newPerson>[0], options: { phoneCallee?: boolean } = {}): Promise<{ alice: Person; bob: Person }> {
  const alice = await newPerson(browser, { name: "Alice" });
  const bob = await newPerson(browser, { name: "Bob", viewport: options.phoneCallee ? phone : undefined });
  await befriend(alice, bob);
  await openChatWith(alice, bob);
  await bob.page.goto("/chats");
  await openFromSidebar(bob.page, alice.displayName);
  return { alice, bob };
}

function remoteTile(person: Person) {
  return person.page.getByTestId("call-screen").getByTestId("call-participant");
}

async function expectConnected(person: Person, other: Person, kind: "audio" | "video"): Promise<void> {
  const tile = remoteTile(person);
  await expect(tile).toHaveAttribute("data-user-id", other.id, { timeout: 20_000 });
  await expect(tile).toHaveAttribute("data-connection-state", "connected", { timeout: 20_000 });
  await expect(tile).toHaveAttribute("data-audio-track", "live");
  if (kind === "video") await expect(tile).toHaveAttribute("data-video-track", "live");
  // The timer runs once the connection is up.
  await expect(person.page.getByTestId("call-status")).toHaveText(/^\d+:\d\d$/);
}

test("a voice call: Alice calls, Bob answers, both connect with live audio, Alice hangs up", async ({ browser }) => {
  const { alice, bob } = await callPair(browser);

  await alice.page.getByRole("button", { name: "Voice call", exact: true }).click();
  await expect(alice.page.getByTestId("call-screen")).toHaveAttribute("data-call-phase", "outgoing");
  await expect(alice.page.getByTestId("call-status")).toHaveText("Ringing…");

  const incoming = bob.page.getByRole("dialog", { name: alice.displayName });
  await expect(incoming).toContainText("Incoming voice call");
  await screenshot(bob.page, "call-incoming");
  await incoming.getByRole("button", { name: "Accept with voice" }).click();
  await expect(incoming).toBeHidden();

  await expectConnected(alice, bob, "audio");
  await expectConnected(bob, alice, "audio");
  await expect(remoteTile(alice)).toHaveAttribute("data-video-track", "none");
  await screenshot(alice.page, "call-voice");

  // Mute is shown on the control.
  await alice.page.getByRole("button", { name: "Mute microphone" }).click();
  await expect(alice.page.getByRole("button", { name: "Unmute microphone" })).toHaveAttribute("aria-pressed", "true");

  await alice.page.getByRole("button", { name: "Hang up" }).click();
  await expect(alice.page.getByTestId("call-screen")).toBeHidden();
  await expect(bob.page.getByTestId("call-screen")).toBeHidden();
  await expect(bob.page.getByTestId("call-ended")).toHaveAttribute("data-reason", "hangup");

  // Both timelines keep the call.
  await expect(alice.page.getByTestId("system-notice").filter({ hasText: /call/i })).toHaveCount(1);
  await expect(bob.page.getByTestId("system-notice").filter({ hasText: /call/i })).toHaveCount(1);
});

test("a video call on a phone: Bob answers with video, both see live remote video, Alice hangs up", async ({ browser }) => {
  const { alice, bob } = await callPair(browser, { phoneCallee: true });

  await alice.page.getByRole("button", { name: "Video call", exact: true }).click();
  const incoming = bob.page.getByRole("dialog", { name: alice.displayName });
  await expect(incoming).toContainText("Incoming video call");
  await screenshot(bob.page, "call-incoming");
  await incoming.getByRole("button", { name: "Accept with video" }).click();

  await expectConnected(alice, bob, "video");
  await expectConnected(bob, alice, "video");
  await expect(alice.page.getByTestId("call-local-preview")).toBeVisible();
  await expect(bob.page.getByTestId("call-local-preview")).toBeVisible();
  await screenshot(alice.page, "call-video");
  await screenshot(bob.page, "call-video");

  // Alice turns her camera off (the preview goes) and on again: Bob still gets live video.
  await alice.page.getByRole("button", { name: "Turn camera off" }).click();
  await expect(alice.page.getByTestId("call-local-preview")).toBeHidden();
  await alice.page.getByRole("button", { name: "Turn camera on" }).click();
  await expect(alice.page.getByTestId("call-local-preview")).toBeVisible();
  await expect(remoteTile(bob)).toHaveAttribute("data-video-track", "live");
  await expect(remoteTile(bob).locator("video")).toBeVisible();

  await alice.page.getByRole("button", { name: "Hang up" }).click();
  await expect(alice.page.getByTestId("call-screen")).toBeHidden();
  await expect(bob.page.getByTestId("call-screen")).toBeHidden();
  await expect(alice.page.getByTestId("system-notice").filter({ hasText: /call/i })).toHaveCount(1);
  await expect(bob.page.getByTestId("system-notice").filter({ hasText: /call/i })).toHaveCount(1);
});

test("a declined call tells the caller why it ended", async ({ browser }) => {
  const { alice, bob } = await callPair(browser);

  await alice.page.getByRole("button", { name: "Voice call", exact: true }).click();
  const incoming = bob.page.getByRole("dialog", { name: alice.displayName });
  await incoming.getByRole("button", { name: "Decline" }).click();
  await expect(incoming).toBeHidden();
  await expect(alice.page.getByTestId("call-ended")).toHaveAttribute("data-reason", "declined");
  await expect(alice.page.getByTestId("call-ended")).toContainText(`${bob.displayName} declined the call`);
  await expect(alice.page.getByTestId("call-screen")).toBeHidden();
});

test("a refused microphone is explained, and nothing rings", async ({ browser }) => {
  const { alice, bob } = await callPair(browser);
  // As a browser does when the site's microphone permission is set to Block.
  await alice.page.evaluate(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  });

  await alice.page.getByRole("button", { name: "Voice call", exact: true }).click();
  const ended = alice.page.getByTestId("call-ended");
  await expect(ended).toHaveAttribute("data-reason", "problem");
  await expect(ended.getByRole("alert")).toContainText("Parley isn’t allowed to use your microphone");
  await expect(bob.page.getByTestId("incoming-call")).toHaveCount(0);
});

test("a group call of three is a mesh: everyone connects to both others", async ({ browser }) => {
  const alice = await newPerson(browser, { name: "Alice" });
  const bob = await newPerson(browser, { name: "Bob" });
  const cy = await newPerson(browser, { name: "Cy", viewport: phone });
  await befriend(alice, bob);
  await befriend(alice, cy);
  const title = "Standup";
  await alice.page.goto("/chats");
  await alice.page.getByRole("button", { name: "New message" }).click();
  await alice.page.getByRole("dialog", { name: "New message" }).getByRole("button", { name: "New group" }).click();
  const dialog = alice.page.getByRole("dialog", { name: "New group" });
  await dialog.getByLabel("Group name").fill(title);
  await dialog.getByRole("checkbox", { name: new RegExp(bob.displayName) }).check();
  await dialog.getByRole("checkbox", { name: new RegExp(cy.displayName) }).check();
  await dialog.getByRole("button", { name: /Create group/ }).click();
  await expect(alice.page.getByTestId("conversation-heading")).toHaveText(title);
  await expect(sidebarItem(bob.page, title)).toBeVisible();
  await expect(sidebarItem(cy.page, title)).toBeVisible();

  await alice.page.getByRole("button", { name: "Voice call", exact: true }).click();
  for (const callee of [bob, cy]) {
    const incoming = callee.page.getByRole("dialog", { name: alice.displayName });
    await expect(incoming).toContainText(`Incoming voice call · ${title}`);
    await incoming.getByRole("button", { name: "Accept with voice" }).click();
  }

  for (const [person, others] of [
    [alice, [bob, cy]],
    [bob, [alice, cy]],
    [cy, [alice, bob]],
  ] as const) {
    const tiles = remoteTile(person);
    await expect(tiles).toHaveCount(2, { timeout: 20_000 });
    for (const other of others) {
      const tile = person.page.locator(`[data-testid="call-participant"][data-user-id="${other.id}"]`);
      await expect(tile).toHaveAttribute("data-connection-state", "connected", { timeout: 20_000 });
      await expect(tile).toHaveAttribute("data-audio-track", "live");
    }
  }
  await screenshot(alice.page, "call-group");
  await screenshot(cy.page, "call-group");

  // Bob leaves; Alice and Cy carry on together.
  await bob.page.getByRole("button", { name: "Hang up" }).click();
  await expect(bob.page.getByTestId("call-screen")).toBeHidden();
  await expect(remoteTile(alice)).toHaveCount(1);
  await expect(remoteTile(cy)).toHaveCount(1);
  await expect(remoteTile(alice)).toHaveAttribute("data-user-id", cy.id);

  await alice.page.getByRole("button", { name: "Hang up" }).click();
  await expect(cy.page.getByTestId("call-screen")).toBeHidden();
});

test("closing the page during a call ends it for the other side", async ({ browser }) => {
  const { alice, bob } = await callPair(browser);
  await alice.page.getByRole("button", { name: "Voice call", exact: true }).click();
  await bob.page.getByRole("dialog", { name: alice.displayName }).getByRole("button", { name: "Accept with voice" }).click();
  await expectConnected(alice, bob, "audio");

  await bob.page.close({ runBeforeUnload: true });
  await expect(alice.page.getByTestId("call-ended")).toHaveAttribute("data-reason", "hangup");
  await expect(alice.page.getByTestId("call-screen")).toBeHidden();
});

test("when both call each other at once, one call survives and connects them", async ({ browser }) => {
  const { alice, bob } = await callPair(browser);
  await Promise.all([
    alice.page.getByRole("button", { name: "Voice call", exact: true }).click(),
    bob.page.getByRole("button", { name: "Voice call", exact: true }).click(),
  ]);
  await expectConnected(alice, bob, "audio");
  await expectConnected(bob, alice, "audio");
  await expect(alice.page.getByTestId("incoming-call")).toHaveCount(0);
  await expect(bob.page.getByTestId("incoming-call")).toHaveCount(0);

  await bob.page.getByRole("button", { name: "Hang up" }).click();
  await expect(alice.page.getByTestId("call-screen")).toBeHidden();
});
