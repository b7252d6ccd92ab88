-- Migration: update_training_sessions_schema_for_machines
-- Description: Add machine_id, remove max_participants, make trainer_id nullable

-- Step 1: Add machine_id column (nullable initially for data migration)
ALTER TABLE training_sessions
ADD COLUMN IF NOT EXISTS machine_id UUID REFERENCES machines(id) ON DELETE RESTRICT;

-- Step 2: Assign all existing sessions to Machine 1 (default)
UPDATE training_sessions
SET machine_id = (SELECT id FROM machines WHERE machine_number = 1 LIMIT 1)
WHERE machine_id IS NULL;

-- Step 3: Make machine_id NOT NULL after default assignment
ALTER TABLE training_sessions
ALTER COLUMN machine_id SET NOT NULL;

-- Step 4: Add index on machine_id for performance
CREATE INDEX IF NOT EXISTS idx_training_sessions_machine_id
ON training_sessions(machine_id);

-- Step 5: Make trainer_id nullable
ALTER TABLE training_sessions
ALTER COLUMN trainer_id DROP NOT NULL;

-- Step 6: Remove max_participants and location columns
ALTER TABLE training_sessions
DROP COLUMN IF EXISTS max_participants,
DROP COLUMN IF EXISTS location;

-- Step 7: Add column comments
COMMENT ON COLUMN training_sessions.machine_id IS 'Machine assigned to this session (1, 2, or 3)';
COMMENT ON COLUMN training_sessions.trainer_id IS 'Trainer assigned to session (optional until completion)';

-- Rollback instructions (as comment):
-- ALTER TABLE training_sessions DROP COLUMN IF EXISTS machine_id;
-- ALTER TABLE training_sessions ADD COLUMN max_participants INTEGER DEFAULT 1 CHECK (max_participants > 0);
-- ALTER TABLE training_sessions ADD COLUMN location TEXT;
-- ALTER TABLE training_sessions ALTER COLUMN trainer_id SET NOT NULL;
