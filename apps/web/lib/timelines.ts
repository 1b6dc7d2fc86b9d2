/**
 * The loaded history of each opened conversation: its newest page on first open, older pages
 * as the reader scrolls up, and a fresh newest page after a stream that could not resume.
 */
import type { ParleyClient } from "@parley/client";
import { historyPageDefaultMessages, historyPageMaxMessages } from "@parley/db/limits";

import type { MessageView } from "./api-types";
import { mergeMessages, upsertMessage, type ChatStateHandle, type Timeline } from "./chat-state";

export interface TimelinesOptions {
  client: ParleyClient;
  state: ChatStateHandle;
  /** Reports a failed read; `quiet` ones are background reads the user did not ask for. */
  onFailure: (error: unknown, options?: { quiet?: boolean }) => void;
}

export class Timelines {
  private readonly client: ParleyClient;
  private readonly state: ChatStateHandle;
  private readonly onFailure: TimelinesOptions["onFailure"];

  constructor(options: TimelinesOptions) {
    this.client = options.client;
    this.state = options.state;
    this.onFailure = options.onFailure;
  }

  /** Loads the newest page of a conversation the first time it is opened. */
  /** Replaces one loaded timeline with `change(it)`; a timeline closed meanwhile stays closed. */
  private change(conversationId: string, change: (timeline: Timeline) => Timeline): void {
    this.state.update((state) => {
      const timeline = state.timelines[conversationId];
      return timeline ? { ...state, timelines: { ...state.timelines, [conversationId]: change(timeline) } } : state;
    });
  }

  async open(conversationId: string): Promise<void> {
    if (this.state.get().timelines[conversationId]) return;
    this.state.update((state) => ({
      ...state,
      timelines: { ...state.timelines, [conversationId]: { messages: [], hasOlder: false, loadingOlder: false, loaded: false } },
    }));
    try {
      const page = await this.client.api.messages.history.query({ conversationId, limit: historyPageDefaultMessages });
      this.change(conversationId, (timeline) => ({
        ...timeline,
        messages: mergeMessages(timeline.messages, page.messages),
        hasOlder: page.nextBeforeSeq !== null,
        loaded: true,
      }));
    } catch (error) {
      this.state.update((state) => {
        const { [conversationId]: _failed, ...timelines } = state.timelines;
        return { ...state, timelines };
      });
      this.onFailure(error);
    }
  }

  /** Re-reads the newest page of every loaded timeline, for when events may have been missed. */
  async reloadLoaded(): Promise<void> {
    const loaded = Object.entries(this.state.get().timelines).filter(([, timeline]) => timeline.loaded);
    for (const [conversationId] of loaded) {
      try {
        const page = await this.client.api.messages.history.query({ conversationId, limit: historyPageDefaultMessages });
        this.change(conversationId, (timeline) => {
          const oldestFresh = page.messages.at(-1)?.seq ?? 0;
          const newestKnown = timeline.messages.at(-1)?.seq ?? 0;
          // More was missed than one page holds: start again from the fresh page rather than leave a hole.
          return oldestFresh > newestKnown + 1
            ? { ...timeline, messages: [...page.messages].reverse(), hasOlder: page.nextBeforeSeq !== null }
            : { ...timeline, messages: page.messages.reduce(upsertMessage, timeline.messages) };
        });
      } catch (error) {
        this.onFailure(error, { quiet: true });
      }
    }
  }

  /**
   * Makes sure the message with this seq is loaded: its context comes from `aroundSeq`, then the
   * pages between it and what is already loaded, so the timeline keeps no hole.
   */
  async reveal(conversationId: string, seq: number): Promise<void> {
    await this.open(conversationId);
    const loadedFrom = () => this.state.get().timelines[conversationId]?.messages[0]?.seq ?? Number.MAX_SAFE_INTEGER;
    if (loadedFrom() <= seq) return;
    try {
      const around = await this.client.api.messages.history.query({ conversationId, aroundSeq: seq, limit: historyPageDefaultMessages });
      let gap: MessageView[] = [];
      let cursor = around.messages[0]?.seq;
      while (cursor !== undefined && around.newerAfterSeq !== null && cursor + 1 < loadedFrom()) {
        const page = await this.client.api.messages.history.query({ conversationId, aroundSeq: cursor + 1, limit: historyPageMaxMessages });
        gap = [...gap, ...page.messages];
        const newest = page.messages[0]?.seq;
        if (newest === undefined || newest <= cursor || page.newerAfterSeq === null) break;
        cursor = newest;
      }
      this.change(conversationId, (current) => ({
        ...current,
        messages: mergeMessages(current.messages, [...gap, ...around.messages]),
        hasOlder: around.nextBeforeSeq !== null,
      }));
    } catch (error) {
      this.onFailure(error);
    }
  }

  async loadOlder(conversationId: string): Promise<void> {
    const timeline = this.state.get().timelines[conversationId];
    const oldest = timeline?.messages[0];
    if (!timeline?.loaded || !timeline.hasOlder || timeline.loadingOlder || !oldest) return;
    const setLoading = (loadingOlder: boolean) => this.change(conversationId, (current) => ({ ...current, loadingOlder }));
    setLoading(true);
    try {
      const page = await this.client.api.messages.history.query({
        conversationId,
        beforeSeq: oldest.seq,
        limit: historyPageDefaultMessages,
      });
      this.change(conversationId, (current) => ({
        ...current,
        messages: mergeMessages(current.messages, page.messages),
        hasOlder: page.nextBeforeSeq !== null,
        loadingOlder: false,
      }));
    } catch (error) {
      setLoading(false);
      this.onFailure(error);
    }
  }
}
