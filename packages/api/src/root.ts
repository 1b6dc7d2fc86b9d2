import { attachmentsRouter } from "./router/attachments";
import { authRouter } from "./router/auth";
import { callsRouter } from "./router/calls";
import { conversationsRouter } from "./router/conversations";
import { eventsRouter } from "./router/events";
import { friendsRouter } from "./router/friends";
import { messagesRouter } from "./router/messages";
import { notificationsRouter } from "./router/notifications";
import { pushRouter } from "./router/push";
import { stickersRouter } from "./router/stickers";
import { usersRouter } from "./router/users";
import { createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  users: usersRouter,
  friends: friendsRouter,
  conversations: conversationsRouter,
  messages: messagesRouter,
  events: eventsRouter,
  push: pushRouter,
  notifications: notificationsRouter,
  attachments: attachmentsRouter,
  stickers: stickersRouter,
  calls: callsRouter,
});

export type AppRouter = typeof appRouter;
