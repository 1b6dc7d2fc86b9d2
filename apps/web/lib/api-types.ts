/**
 * The API's shapes as the web app receives them, read off the router's own types: a change to
 * what a procedure returns reaches every screen through these, and none is written by hand here.
 */
import type { AppRouter } from "@parley/client";
import type { inferRouterOutputs } from "@trpc/server";

export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type PublicUser = RouterOutputs["auth"]["me"];
export type SessionView = RouterOutputs["auth"]["sessions"][number];

export type MessageView = RouterOutputs["messages"]["send"];
export type MessageSearchResult = RouterOutputs["messages"]["search"]["results"][number];
export type ReactionView = MessageView["reactions"][number];
export type AttachmentView = MessageView["attachments"][number];
export type AttachmentKind = AttachmentView["kind"];
export type StickerView = RouterOutputs["stickers"]["list"][number];

export type ConversationView = RouterOutputs["conversations"]["openDirect"];
export type ConversationSummary = RouterOutputs["conversations"]["get"];
export type ConversationMemberView = ConversationView["members"][number];
export type MemberRole = ConversationMemberView["role"];

export type FriendView = RouterOutputs["friends"]["list"][number];
export type FriendRequestView = RouterOutputs["friends"]["requests"]["incoming"][number];

/** One item of `events.stream`: an event and the stream position to resume from after it. */
export type StreamItem = RouterOutputs["events"]["stream"] extends AsyncIterable<infer TItem> ? TItem : never;
export type StreamEvent = StreamItem["data"];
/** What changes the state: everything the stream carries except its ready marker. */
export type ChatEvent = Exclude<StreamEvent, { type: "stream.ready" }>;
