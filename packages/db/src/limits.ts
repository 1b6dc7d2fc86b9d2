/**
 * Every size limit Parley enforces, written once: the database checks, the API's zod inputs and
 * the web app's forms all read them from here. Pure constants with no imports, so the browser
 * bundle can take this module without pulling in a database driver.
 *
 * Text lengths count code points, as Postgres's `char_length` does, unless a name says otherwise.
 */

/** A message body, after trimming. */
export const messageBodyMaxCharacters = 4_000;

export const groupTitleMaxCharacters = 100;

export const usernameMinCharacters = 3;
export const usernameMaxCharacters = 32;
/** Letters, digits, `_`, `.` and `-`; the database's check uses the same pattern. */
export const usernamePattern = new RegExp(`^[A-Za-z0-9_.-]{${usernameMinCharacters},${usernameMaxCharacters}}$`);
/** Sign-in and friend requests take any text up to this long: a malformed name is just unknown. */
export const usernameLookupMaxCharacters = 64;

export const displayNameMaxCharacters = 64;

/** A reaction is one emoji as people see it; ZWJ families and flags take several code points. */
export const reactionEmojiMaxCharacters = 32;

export const historyPageMaxMessages = 100;
export const historyPageDefaultMessages = 50;

export const conversationPageMaxConversations = 100;
export const conversationPageDefaultConversations = 50;

export const userSearchQueryMaxCharacters = 64;
export const userSearchMaxResults = 50;
export const userSearchDefaultResults = 20;

/** Members added to a group by one `createGroup` or `addMembers` call. */
export const groupMembersMaxPerCall = 256;

/** The disappearing-message timers a conversation can choose (seconds): 30 s, 5 min, 1 h, 1 day, 1 week. */
export const disappearingTimerSeconds = [30, 300, 3_600, 86_400, 604_800] as const;

export const messageSearchQueryMaxCharacters = 100;
export const messageSearchMaxResults = 50;
export const messageSearchDefaultResults = 20;

/** Conversations one `messages.forward` call may send to. */
export const forwardMaxConversations = 20;

/** Stream positions are decimal event ids; anything longer cannot be one. */
export const eventIdMaxCharacters = 32;

/** A push subscription's endpoint URL, as browsers' push services hand them out. */
export const pushEndpointMaxCharacters = 2_048;
/** Devices of one user that are pushed to: subscribing another drops the one subscribed longest ago. */
export const pushSubscriptionsPerUserMax = 20;
/** The user agent a device reports with its push subscription. */
export const pushUserAgentMaxCharacters = 512;
/** Attachments one message may carry. */
export const attachmentsPerMessageMax = 10;
/** A file name as shown to people, after sanitising. */
export const attachmentNameMaxCharacters = 200;
/** Upload size when MAX_UPLOAD_BYTES is not set: 25 MiB. */
export const uploadDefaultMaxBytes = 25 * 1024 * 1024;
/** An image (or poster) is refused beyond this many pixels: a small file can decode to gigabytes. */
export const imageMaxPixels = 40_000_000;
/** The longer side of a thumbnail, in pixels. */
export const thumbnailMaxPixels = 320;
/** Samples in a voice message's waveform. */
export const waveformMaxSamples = 256;
/** A voice or video message's longest duration: 3 hours. */
export const mediaMaxDurationMs = 3 * 60 * 60 * 1_000;
/** The side of a stored profile picture, in pixels. */
export const avatarSizePixels = 256;
/** Unsent uploads are deleted this long after they were created. */
export const unsentUploadLifetimeMs = 24 * 60 * 60 * 1_000;
/** How long a call rings before it ends as missed. */
export const callRingSeconds = 45;
/** People in one call, the caller included: group calls are a mesh, which stops scaling past a few. */
export const callMaxParticipants = 4;
/** One SDP offer or answer; a video offer with many codecs is a few kilobytes. */
export const callSdpMaxCharacters = 16_000;
/** ICE candidates in one `calls.signal`; a client gathers a handful per network interface. */
export const callSignalMaxCandidates = 32;
/** One ICE candidate line (`candidate:…`), its media id and ufrag. */
export const callCandidateMaxCharacters = 512;
export const callCandidateFieldMaxCharacters = 64;
