-- Rollback of 0011_restore_session_machines: nothing to undo. It changed no schema, and the machines it gave
-- back are where the sessions were before the rollback that archived them; they stay there.
SELECT 1;
