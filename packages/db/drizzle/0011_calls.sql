CREATE TYPE "public"."call_end_reason" AS ENUM('hangup', 'declined', 'busy', 'timeout', 'failed', 'replaced');--> statement-breakpoint
CREATE TYPE "public"."call_media" AS ENUM('audio', 'video');--> statement-breakpoint
CREATE TYPE "public"."call_participant_state" AS ENUM('invited', 'joined', 'declined', 'left');--> statement-breakpoint
CREATE TYPE "public"."call_state" AS ENUM('ringing', 'active', 'ended');--> statement-breakpoint
CREATE TABLE "call_participants" (
	"call_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"state" "call_participant_state" NOT NULL,
	"session_id" text,
	"joined_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone,
	"left_at" timestamp with time zone,
	CONSTRAINT "call_participants_pkey" PRIMARY KEY("call_id","user_id"),
	CONSTRAINT "call_participants_joined_has_device" CHECK ("call_participants"."state" <> 'joined' or ("call_participants"."session_id" is not null and "call_participants"."joined_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "calls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"conversation_id" uuid NOT NULL,
	"initiator_id" uuid NOT NULL,
	"media" "call_media" NOT NULL,
	"state" "call_state" DEFAULT 'ringing' NOT NULL,
	"end_reason" "call_end_reason",
	"created_at" timestamp with time zone NOT NULL,
	"ring_deadline" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "calls_end_reason_iff_ended" CHECK (("calls"."state" = 'ended') = ("calls"."end_reason" is not null and "calls"."ended_at" is not null)),
	CONSTRAINT "calls_answered_unless_ringing" CHECK ("calls"."state" = 'ringing' or "calls"."state" = 'ended' or "calls"."answered_at" is not null)
);
--> statement-breakpoint
ALTER TABLE "call_participants" ADD CONSTRAINT "call_participants_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_participants" ADD CONSTRAINT "call_participants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_initiator_id_users_id_fk" FOREIGN KEY ("initiator_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "call_participants_one_call_per_user" ON "call_participants" USING btree ("user_id") WHERE "call_participants"."state" = 'joined';--> statement-breakpoint
CREATE INDEX "call_participants_user_idx" ON "call_participants" USING btree ("user_id","call_id");--> statement-breakpoint
CREATE UNIQUE INDEX "calls_one_live_per_conversation" ON "calls" USING btree ("conversation_id") WHERE "calls"."state" <> 'ended';--> statement-breakpoint
CREATE INDEX "calls_ringing_deadline_idx" ON "calls" USING btree ("ring_deadline") WHERE "calls"."state" = 'ringing';