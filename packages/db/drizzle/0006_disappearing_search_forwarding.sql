CREATE TYPE "public"."disappearing_start" AS ENUM('send', 'read');--> statement-breakpoint
CREATE TABLE "message_expiries" (
	"message_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "message_expiries_pkey" PRIMARY KEY("message_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "disappearing_seconds" integer;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "disappearing_starts_at" "disappearing_start" DEFAULT 'send' NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "expires_after_read_seconds" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "forwarded" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "forwarded_from_user_id" uuid;--> statement-breakpoint
ALTER TABLE "message_expiries" ADD CONSTRAINT "message_expiries_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_expiries" ADD CONSTRAINT "message_expiries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_forwarded_from_user_id_users_id_fk" FOREIGN KEY ("forwarded_from_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "messages_body_words_idx" ON "messages" USING gin (to_tsvector('simple', "body")) WHERE "messages"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "messages_body_trigram_idx" ON "messages" USING gin ("body" gin_trgm_ops) WHERE "messages"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "events_message_id_idx" ON "events" USING btree (("payload"->'message'->>'id')) WHERE "events"."type" in ('message.created', 'message.edited');--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_disappearing_timer" CHECK ("conversations"."disappearing_seconds" is null or "conversations"."disappearing_seconds" in (30, 300, 3600, 86400, 604800));--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_expires_after_read_positive" CHECK ("messages"."expires_after_read_seconds" > 0);--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_forwarded_from" CHECK ("messages"."forwarded" or "messages"."forwarded_from_user_id" is null);