-- Shadow comparisons: one row per sample, its differing paths, and example
-- diffs kept by reservoir sampling per route, day and path shape.

CREATE TABLE shadow_samples (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  route VARCHAR(191) NOT NULL,
  at_ms BIGINT UNSIGNED NOT NULL,
  method VARCHAR(8) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  outcome ENUM('match', 'mismatch', 'error') NOT NULL,
  cause ENUM('leak', 'logic', 'unexplained', 'staleness', 'noise') NULL,
  error VARCHAR(255) NULL,
  candidate_source ENUM('cache', 'fresh') NOT NULL,
  page_age_ms INT UNSIGNED NULL,
  control_status SMALLINT UNSIGNED NOT NULL,
  control_ms DOUBLE NOT NULL,
  control_db_calls INT UNSIGNED NULL,
  control_redis_calls INT UNSIGNED NULL,
  candidate_status SMALLINT UNSIGNED NULL,
  candidate_ms DOUBLE NULL,
  candidate_db_calls INT UNSIGNED NULL,
  candidate_redis_calls INT UNSIGNED NULL,
  fresh_ms DOUBLE NULL,
  fresh_db_calls INT UNSIGNED NULL,
  PRIMARY KEY (id),
  KEY shadow_samples_route_at (route, at_ms),
  KEY shadow_samples_at (at_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE shadow_diffs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  sample_id BIGINT UNSIGNED NOT NULL,
  route VARCHAR(191) NOT NULL,
  at_ms BIGINT UNSIGNED NOT NULL,
  path VARCHAR(512) NOT NULL,
  shape VARCHAR(512) NOT NULL,
  kind ENUM('value', 'type', 'missing', 'extra', 'length', 'order') NOT NULL,
  cause ENUM('leak', 'logic', 'unexplained', 'staleness', 'noise') NULL,
  ignored_reason VARCHAR(255) NULL,
  PRIMARY KEY (id),
  KEY shadow_diffs_route_at (route, at_ms),
  KEY shadow_diffs_sample (sample_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- How many mismatching samples offered an example for a route, day and path
-- shape: the reservoir's n (Vitter's algorithm R).
CREATE TABLE shadow_reservoir (
  route VARCHAR(191) NOT NULL,
  day DATE NOT NULL,
  shape_hash CHAR(40) NOT NULL,
  seen BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (route, day, shape_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE shadow_examples (
  route VARCHAR(191) NOT NULL,
  day DATE NOT NULL,
  shape_hash CHAR(40) NOT NULL,
  slot SMALLINT UNSIGNED NOT NULL,
  shape VARCHAR(512) NOT NULL,
  sample_id BIGINT UNSIGNED NOT NULL,
  at_ms BIGINT UNSIGNED NOT NULL,
  cause ENUM('leak', 'logic', 'unexplained', 'staleness', 'noise') NULL,
  method VARCHAR(8) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  headers TEXT NOT NULL,
  diffs MEDIUMTEXT NOT NULL,
  patch MEDIUMTEXT NULL,
  page_age_ms INT UNSIGNED NULL,
  PRIMARY KEY (route, day, shape_hash, slot),
  KEY shadow_examples_at (at_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Samples stored and refused per route and day (the daily cap).
CREATE TABLE shadow_daily (
  route VARCHAR(191) NOT NULL,
  day DATE NOT NULL,
  stored INT UNSIGNED NOT NULL DEFAULT 0,
  capped INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (route, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
