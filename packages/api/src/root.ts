import { authRouter } from "./router/auth";
import { callsRouter } from "./router/calls";
import { conversationsRouter } from "./router/conversations";
import { eventsRouter } from "./router/events";
import { friendsRouter } from "./router/friends";
import { messagesRouter } from "./router/messages";
import { usersRouter } from "./router/users";
import { createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  users: usersRouter,
  friends: friendsRouter,
  conversations: conversationsRouter,
  messages: messagesRouter,
  events: eventsRouter,
  calls: callsRouter,
});

export type AppRouter = typeof appRouter;
