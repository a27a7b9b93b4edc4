-- +goose Up

-- GET /dashboard/api/admin-clicks reads who did what per day from the
-- audit trail. Each part of its query scans one of these by time and never
-- touches the heap. The payout_events one is partial: workflow, webhook
-- and poll rows (most of the trail) never enter it, nor the creation rows
-- of campaigns and schedule runs, nor the per-row cancellations a campaign
-- cancel writes (each counted once, as the campaign's own action).
CREATE INDEX payout_events_admin_clicks_idx ON payout_events (at) INCLUDE (actor, from_status, to_status)
    WHERE (from_status IS NULL AND details->>'via' = 'api') OR (source = 'admin' AND NOT details ? 'batch_id');
CREATE INDEX payout_batches_requested_idx ON payout_batches (created_at) INCLUDE (requested_by);
CREATE INDEX payout_batch_events_at_idx ON payout_batch_events (at) INCLUDE (actor, action);
CREATE INDEX payout_schedules_created_idx ON payout_schedules (created_at) INCLUDE (created_by);
CREATE INDEX payout_schedule_events_at_idx ON payout_schedule_events (at) INCLUDE (actor, action);
-- Runs an admin triggered through the API (trigger 'admin:<name>'); the
-- hourly scheduled runs and the CLI's never enter it.
CREATE INDEX reconciliation_runs_admin_idx ON reconciliation_runs (requested_at) INCLUDE (trigger)
    WHERE trigger LIKE 'admin:%';

-- +goose Down
DROP INDEX reconciliation_runs_admin_idx;
DROP INDEX payout_schedule_events_at_idx;
DROP INDEX payout_schedules_created_idx;
DROP INDEX payout_batch_events_at_idx;
DROP INDEX payout_batches_requested_idx;
DROP INDEX payout_events_admin_clicks_idx;
