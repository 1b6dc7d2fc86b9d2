#!/usr/bin/env node
// A terminal chat on @parley/client: sign in (or register), see your conversations, talk to
// friends, and watch messages arrive live. The SDK resumes the event stream after a dropped
// connection, so nothing is missed or shown twice.
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

import { createParleyClient, TRPCClientError } from "@parley/client";
import { WebSocket } from "ws";

const usage = `usage: node chat.mjs --url http://localhost:3000 --user alice [--password secret]

Commands:
  /list                     your conversations, newest first
  /friends                  friends and pending requests
  /add <username>           ask someone to be your friend
  /accept <username>        accept their request
  /open <username>          chat with a friend (shows recent history)
  /group <title> <user...>  start a group with friends
  /go <number>              switch to a conversation from /list
  /help                     this text
  /quit                     leave
Anything else is sent to the open conversation.`;

const { values: args } = parseArgs({
  options: {
    url: { type: "string", default: process.env.PARLEY_URL ?? "http://localhost:3000" },
    user: { type: "string" },
    password: { type: "string", default: process.env.PARLEY_PASSWORD },
    help: { type: "boolean", default: false },
  },
});
if (args.help || !args.user) {
  console.log(usage);
  process.exit(args.help ? 0 : 1);
}

const parley = createParleyClient({ url: args.url, WebSocket });
const terminal = createInterface({ input: process.stdin, output: process.stdout });

/** Prints above the prompt without mangling what the user is typing. */
function say(text) {
  process.stdout.write(`\r\x1b[K${text}\n`);
  terminal.prompt(true);
}

function ask(question) {
  return new Promise((resolve) => terminal.question(question, resolve));
}

function errorText(error) {
  return error instanceof TRPCClientError ? error.message : String(error);
}

/* State: who I am, the conversations I know, and the one I am typing into. */

let me = null;
const conversations = new Map();
let listed = [];
let current = null;

function remember(conversation) {
  conversations.set(conversation.id, { ...conversations.get(conversation.id), ...conversation });
}

function nameOf(conversation) {
  if (conversation.kind === "group") return `#${conversation.title}`;
  const other = conversation.members.find((member) => member.userId !== me.id);
  return other ? `@${other.username}` : "(direct)";
}

function senderName(conversation, userId) {
  if (userId === me.id) return "you";
  return conversation?.members.find((member) => member.userId === userId)?.displayName ?? "someone";
}

function formatMessage(message) {
  const conversation = conversations.get(message.conversationId);
  const time = new Date(message.createdAt).toLocaleTimeString();
  const where = conversation && conversation.id !== current?.id ? `${nameOf(conversation)} ` : "";
  return `${time} ${where}${senderName(conversation, message.senderId)}: ${message.body ?? "(deleted)"}`;
}

function setPrompt() {
  terminal.setPrompt(current ? `${nameOf(current)}> ` : "> ");
}

/* Signing in */

async function signIn() {
  const password = args.password ?? (await ask(`password for ${args.user}: `));
  try {
    return await parley.api.auth.login.mutate({ username: args.user, password });
  } catch (error) {
    if (!(error instanceof TRPCClientError) || error.data?.code !== "UNAUTHORIZED") throw error;
  }
  try {
    const registered = await parley.api.auth.register.mutate({ username: args.user, password });
    console.log(`Registered ${args.user}.`);
    return registered;
  } catch (error) {
    if (error instanceof TRPCClientError && error.data?.code === "CONFLICT") {
      throw new Error(`${args.user} exists and that password is wrong`);
    }
    throw error;
  }
}

/* Commands */

async function listConversations() {
  listed = await parley.api.conversations.list.query();
  for (const conversation of listed) remember(conversation);
  if (listed.length === 0) return say("No conversations yet: /add a friend, then /open them.");
  listed.forEach((conversation, index) => {
    const unread = conversation.unreadCount > 0 ? ` (${conversation.unreadCount} unread)` : "";
    const last = conversation.lastMessage ? `  ${formatMessage(conversation.lastMessage)}` : "";
    say(`${index + 1}. ${nameOf(conversation)}${unread}${last}`);
  });
}

async function showFriends() {
  const [friends, requests] = await Promise.all([
    parley.api.friends.list.query(),
    parley.api.friends.requests.query(),
  ]);
  say(friends.length ? "Friends:" : "No friends yet: /add <username>.");
  for (const friend of friends) say(`  ${friend.user.username}${friend.online ? " (online)" : ""}`);
  for (const request of requests.incoming) say(`  ${request.requester.username} wants to be friends: /accept ${request.requester.username}`);
  for (const request of requests.outgoing) say(`  waiting for ${request.addressee.username} to accept`);
}

async function friendByUsername(username) {
  const friends = await parley.api.friends.list.query();
  const friend = friends.find((candidate) => candidate.user.username === username);
  if (!friend) throw new Error(`${username} is not your friend yet: /add ${username}`);
  return friend.user;
}

async function enter(conversation) {
  remember(conversation);
  current = conversations.get(conversation.id);
  setPrompt();
  const page = await parley.api.messages.history.query({ conversationId: conversation.id, limit: 20 });
  say(`— ${nameOf(current)} —`);
  for (const message of [...page.messages].reverse()) say(formatMessage(message));
  await markRead(current.id, page.messages[0]?.seq ?? 0);
}

async function markRead(conversationId, seq) {
  if (seq > 0) await parley.api.messages.markRead.mutate({ conversationId, seq });
}

const commands = {
  help: async () => say(usage),
  list: listConversations,
  friends: showFriends,
  add: async ([username]) => {
    if (!username) throw new Error("usage: /add <username>");
    const result = await parley.api.friends.request.mutate({ username });
    if (result.status === "requested") say(`Asked ${username}.`);
  },
  accept: async ([username]) => {
    if (!username) throw new Error("usage: /accept <username>");
    const { incoming } = await parley.api.friends.requests.query();
    const request = incoming.find((candidate) => candidate.requester.username === username);
    if (!request) throw new Error(`No request from ${username}`);
    // The friend.accepted event announces it.
    await parley.api.friends.accept.mutate({ userId: request.requester.id });
  },
  open: async ([username]) => {
    if (!username) throw new Error("usage: /open <username>");
    const friend = await friendByUsername(username);
    await enter(await parley.api.conversations.openDirect.mutate({ userId: friend.id }));
  },
  group: async ([title, ...usernames]) => {
    if (!title || usernames.length === 0) throw new Error("usage: /group <title> <user...>");
    const members = await Promise.all(usernames.map(friendByUsername));
    await enter(await parley.api.conversations.createGroup.mutate({ title, memberIds: members.map((member) => member.id) }));
  },
  go: async ([number]) => {
    const conversation = listed[Number(number) - 1];
    if (!conversation) throw new Error("usage: /go <number from /list>");
    await enter(conversation);
  },
  quit: async () => terminal.close(),
};

async function handleLine(line) {
  const text = line.trim();
  if (!text) return;
  if (text.startsWith("/")) {
    const [name, ...rest] = text.slice(1).split(/\s+/);
    const command = commands[name];
    if (!command) return say(`Unknown command /${name}: try /help`);
    return command(rest);
  }
  if (!current) return say("Open a conversation first: /open <username> or /list then /go <number>.");
  // The clientId makes a retried send idempotent.
  await parley.api.messages.send.mutate({ conversationId: current.id, clientId: randomUUID(), body: text });
}

/* Live events */

function onEvent(event) {
  switch (event.type) {
    case "message.created":
      say(formatMessage(event.message));
      if (event.message.conversationId === current?.id && event.message.senderId !== me.id) {
        markRead(current.id, event.message.seq).catch(() => {});
      }
      break;
    case "conversation.joined":
      remember(event.conversation);
      if (event.conversation.creatorId !== me.id) say(`You are now in ${nameOf(conversations.get(event.conversationId))}.`);
      break;
    case "conversation.updated":
      remember(event.conversation);
      break;
    case "friend.requested":
      if (event.request.requester.id !== me.id) {
        say(`${event.request.requester.username} wants to be friends: /accept ${event.request.requester.username}`);
      }
      break;
    case "friend.accepted":
      say(`You and ${event.friend.username} are now friends: /open ${event.friend.username}`);
      break;
    case "presence":
      break;
    default:
      break;
  }
}

function listen() {
  parley.onConnectionState((state) => {
    if (state === "reconnecting") say("(connection lost, reconnecting…)");
  });
  parley.api.events.stream.subscribe(
    {},
    {
      onData: (envelope) => {
        const event = "data" in envelope && "id" in envelope ? envelope.data : envelope;
        if (event.type === "stream.ready") {
          if (event.resumed) say("(reconnected: caught up on everything missed)");
          return;
        }
        onEvent(event);
      },
      onError: (error) => say(`Live updates stopped: ${errorText(error)}`),
    },
  );
}

/* Start */

try {
  const { user } = await signIn();
  me = user;
} catch (error) {
  console.error(errorText(error));
  process.exit(1);
}
console.log(`Signed in as ${me.username} at ${args.url}. /help lists the commands.`);
listen();
await listConversations().catch((error) => say(errorText(error)));
setPrompt();
terminal.prompt();

let queue = Promise.resolve();
terminal.on("line", (line) => {
  // One command at a time, in the order typed.
  queue = queue.then(() => handleLine(line).catch((error) => say(errorText(error)))).then(() => terminal.prompt());
});
terminal.on("close", async () => {
  await parley.close();
  process.exit(0);
});
