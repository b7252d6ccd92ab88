-- Rollback of 0001_machines. Refused by PostgreSQL (and so by the migrator, which changes nothing then)
-- while 0002 is still applied, since training_sessions.machine_id references this table.
DROP TABLE IF EXISTS machines;
