import type { TRPCRouterRecord } from "@trpc/server";

export const usersRouter = {} satisfies TRPCRouterRecord;
