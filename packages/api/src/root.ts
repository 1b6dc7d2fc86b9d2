import { attachmentsRouter } from "./router/attachments";
import { authRouter } from "./router/auth";
import { conversationsRouter } from "./router/conversations";
import { eventsRouter } from "./router/events";
import { friendsRouter } from "./router/friends";
import { messagesRouter } from "./router/messages";
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
  attachments: attachmentsRouter,
  stickers: stickersRouter,
});

export type AppRouter = typeof appRouter;
