"use client";

import { useSyncExternalStore } from "react";

import { useChatStore } from "../chat-context";
import type { CallController, CallSnapshot } from "./call-controller";

const serverSnapshot = (controller: CallController): CallSnapshot => controller.getSnapshot();

/** The device's call as it changes, and the controller to act on it. */
export function useCall(): { call: CallSnapshot; calls: CallController } {
  const calls = useChatStore().calls;
  const call = useSyncExternalStore(calls.subscribe, calls.getSnapshot, () => serverSnapshot(calls));
  return { call, calls };
}
