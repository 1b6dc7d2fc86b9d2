"use client";

import { callMaxParticipants } from "@parley/db/limits";

import type { ConversationSummary } from "../../lib/api-types";
import { useCall } from "../../lib/calls/use-call";
import { IconButton } from "../ui/button";
import { PhoneIcon, VideoIcon } from "../ui/icons";

/** Voice and video call buttons for a conversation header. */
export function CallButtons({ conversation }: { conversation: ConversationSummary }) {
  const { call, calls } = useCall();
  const tooMany = conversation.members.length > callMaxParticipants;
  const inCall = call.phase !== "idle" && call.phase !== "ended";
  const reason = tooMany ? `Calls take up to ${callMaxParticipants} people` : inCall ? "You’re already in a call" : null;
  return (
    <>
      <IconButton
        label={reason ? `Voice call (${reason})` : "Voice call"}
        disabled={reason !== null}
        onClick={() => void calls.start(conversation.id, "audio")}
      >
        <PhoneIcon />
      </IconButton>
      <IconButton
        label={reason ? `Video call (${reason})` : "Video call"}
        disabled={reason !== null}
        onClick={() => void calls.start(conversation.id, "video")}
      >
        <VideoIcon />
      </IconButton>
    </>
  );
}
