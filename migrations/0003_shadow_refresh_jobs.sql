-- Refresh jobs each side of a sample enqueued (or, in a shadow render, would
-- have): every one is a DB read the worker makes later on the request's
-- behalf, so "DB calls per request" counts them as the amplification meter
-- does. NULL where the meter was not registered or the row predates this.

ALTER TABLE shadow_samples
  ADD COLUMN control_refresh_jobs INT UNSIGNED NULL AFTER control_redis_calls,
  ADD COLUMN candidate_refresh_jobs INT UNSIGNED NULL AFTER candidate_redis_calls;
