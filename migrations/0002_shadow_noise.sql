-- What the noise model has learned, per route and path shape, so a restart
-- (or another instance) starts from it: decayed counts as of at_ms.

CREATE TABLE shadow_noise (
  route VARCHAR(191) NOT NULL,
  shape_hash CHAR(40) NOT NULL,
  shape VARCHAR(512) NOT NULL,
  noisy DOUBLE NOT NULL,
  quiet DOUBLE NOT NULL,
  at_ms BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (route, shape_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
