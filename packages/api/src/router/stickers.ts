import type { TRPCRouterRecord } from "@trpc/server";

import { listStickers } from "../media/stickers";
import { protectedProcedure } from "../trpc";

export const stickersRouter = {
  /** The sticker pack that ships with Parley. */
  list: protectedProcedure.query(() => listStickers()),
} satisfies TRPCRouterRecord;
