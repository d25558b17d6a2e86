-- The playbook runner's journal, append-only: rows are inserted, never
-- updated or deleted. playbook_events holds every change to a run (stages
-- entered, gate failures, step-backs, rollbacks, approvals, pauses, each flag
-- and queue write); a run's state is these rows folded in seq order.
-- playbook_gate_readings holds every gate reading with its figures.
-- Both keep the machine's clock (wall_ms) and the playbook clock (scaled_ms,
-- sped up by --time-scale).

CREATE TABLE playbook_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  playbook VARCHAR(64) NOT NULL,
  seq INT UNSIGNED NOT NULL,
  kind VARCHAR(32) NOT NULL,
  route VARCHAR(191) NULL,
  stage VARCHAR(64) NULL,
  wall_ms BIGINT NOT NULL,
  scaled_ms BIGINT NOT NULL,
  body MEDIUMTEXT NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY playbook_events_seq (playbook, seq),
  KEY playbook_events_route (playbook, route, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE playbook_gate_readings (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  playbook VARCHAR(64) NOT NULL,
  route VARCHAR(191) NULL,
  stage VARCHAR(64) NOT NULL,
  gate VARCHAR(32) NOT NULL,
  verdict ENUM('pass', 'hold', 'fail') NOT NULL,
  wall_ms BIGINT NOT NULL,
  scaled_ms BIGINT NOT NULL,
  figures TEXT NOT NULL,
  detail VARCHAR(1024) NOT NULL,
  PRIMARY KEY (id),
  KEY playbook_gate_readings_at (playbook, wall_ms),
  KEY playbook_gate_readings_route (playbook, route, stage, gate, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
