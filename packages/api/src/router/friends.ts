import type { TRPCRouterRecord } from "@trpc/server";

export const friendsRouter = {} satisfies TRPCRouterRecord;
