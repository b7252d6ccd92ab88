-- Hand patch: drizzle-kit generated the CREATE TABLE below. US-001 was applied by hand in the original app,
-- so the table creation is made idempotent (IF NOT EXISTS), and the seed rows and the updated_at trigger,
-- which drizzle-kit does not model, are added after it.
-- The migrator sets lock_timeout for every migration (SET LOCAL, --lock-timeout) and retries on
-- 55P03; a statement_timeout would only cut short legitimate work.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- machine_number is 1, 2 or 3 by its CHECK constraint.
-- squawk-ignore-file prefer-bigint-over-int
CREATE TABLE IF NOT EXISTS "machines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"machine_number" integer NOT NULL,
	"name" text NOT NULL,
	"is_available" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "machines_machine_number_unique" UNIQUE("machine_number"),
	CONSTRAINT "machines_machine_number_check" CHECK ("machines"."machine_number" IN (1, 2, 3))
);
--> statement-breakpoint
INSERT INTO machines (machine_number, name)
VALUES (1, 'Machine 1'), (2, 'Machine 2'), (3, 'Machine 3')
ON CONFLICT (machine_number) DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER machines_set_updated_at BEFORE UPDATE ON machines
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
