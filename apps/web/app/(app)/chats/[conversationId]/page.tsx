"use client";

import { useParams } from "next/navigation";

import { ConversationScreen } from "../../../../components/conversation/conversation-screen";

export default function ConversationPage() {
  const { conversationId } = useParams<{ conversationId: string }>();
  return <ConversationScreen conversationId={conversationId} />;
}
