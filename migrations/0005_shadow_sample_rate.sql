-- The rate each sample was drawn at: the route's shadow rate as its flag set
-- it, and the rate in effect when the shadows' CPU budget
-- (shadowLimits.maxLoopShare) lowered it. The report gives the rate achieved
-- over a window from these. NULL where the handler was called without them
-- or the row predates this.

ALTER TABLE shadow_samples
  ADD COLUMN sample_rate DOUBLE NULL AFTER candidate_refresh_jobs,
  ADD COLUMN effective_rate DOUBLE NULL AFTER sample_rate;
