-- The uuid of an agent's persistent session leg while the dialer has it
-- placed or up ('' otherwise), written before the leg is originated: after
-- a crash the next start finds the leg still parked on the agent's phone
-- and takes it back instead of calling the phone a second time.
ALTER TABLE agents ADD COLUMN session_leg text NOT NULL DEFAULT '';
