-- The uuid of an attempt's agent leg (progressive and preemptive modes),
-- written when the leg is originated, so that reconcile can find the leg
-- after a restart and never leave an agent ringing without a call.
ALTER TABLE attempts ADD COLUMN agent_uuid text NOT NULL DEFAULT '';
