package bench

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// clicksQueries time GET /dashboard/api/admin-clicks over the audit rows
// fillAudit writes.
func clicksQueries() []scaleQuery {
	period := func(days int) func(context.Context, *scaleEnv) (string, error) {
		return func(_ context.Context, s *scaleEnv) (string, error) {
			from := s.now.Add(-time.Duration(days) * 24 * time.Hour).Format(time.RFC3339)
			return "/dashboard/api/admin-clicks?from=" + url.QueryEscape(from) + "&to=" + url.QueryEscape(s.now.Format(time.RFC3339)), nil
		}
	}
	return []scaleQuery{
		{"clicks: all time", fixed("/dashboard/api/admin-clicks")},
		{"clicks: last 30 days", period(30)},
		{"clicks: last 7 days", period(7)},
	}
}

// fillAudit writes n payout_events rows over the 90 days before now, in
// the shares a payout desk's trail has: a quarter are creation rows
// (through the API 70% of them, campaigns 20%, schedule runs 10%), about
// 1.5% are admin decisions and campaign cancellations, the rest workflow,
// webhook and poll transitions. Next to them, the other audit tables get
// what 90 days leave: 500 campaigns and 1,000 of their events, 300
// schedules and 1,000 of their events, hourly scheduled reconciliation
// runs and 200 manual ones. The rows reference payouts by ID only, with
// foreign keys and the append-only triggers off (as fillPayouts does): the
// query counts the trail, not the payouts.
func fillAudit(ctx context.Context, pool *pgxpool.Pool, n int, now time.Time, bar *progress) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	for _, stmt := range []string{`SET session_replication_role = replica`, `SELECT setseed(0.17)`} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("fill audit: %s: %w", stmt, err)
		}
	}
	defer func() {
		_, _ = conn.Exec(context.Background(), `RESET session_replication_role`) // the connection goes back to the pool
	}()
	for lo := 0; lo < n; lo += fillChunk {
		hi := min(n, lo+fillChunk)
		if _, err := conn.Exec(ctx, fillEventsSQL, lo, hi, now); err != nil {
			return fmt.Errorf("fill payout events %d..%d: %w", lo, hi, err)
		}
		bar.set(hi)
	}
	bar.finish()
	if _, err := conn.Exec(ctx, fillAuditTablesSQL, now); err != nil {
		return fmt.Errorf("fill audit tables: %w", err)
	}
	_, err = conn.Exec(ctx, `VACUUM (ANALYZE) payout_events, payout_batches, payout_batch_events,
		payout_schedules, payout_schedule_events, reconciliation_runs`)
	if err != nil {
		return fmt.Errorf("vacuum analyze audit: %w", err)
	}
	return nil
}

const fillEventsSQL = `
WITH g AS (
	SELECT i, random() AS r, $3::timestamptz - random() * interval '90 days' AS at
	FROM generate_series($1::int, $2::int - 1) AS i
), k AS (
	SELECT i, at, CASE
		WHEN r < 0.175 THEN 'api' WHEN r < 0.225 THEN 'batch' WHEN r < 0.25 THEN 'schedule'
		WHEN r < 0.255 THEN 'approve' WHEN r < 0.258 THEN 'reject' WHEN r < 0.262 THEN 'cancel'
		WHEN r < 0.265 THEN 'campaign-cancel' WHEN r < 0.60 THEN 'workflow' WHEN r < 0.95 THEN 'webhook' ELSE 'poll' END AS kind
	FROM g
)
INSERT INTO payout_events (payout_id, from_status, to_status, source, actor, details, at)
SELECT md5('bench-payout-' || (i % 1000000)),
	CASE kind WHEN 'api' THEN NULL WHEN 'batch' THEN NULL WHEN 'schedule' THEN NULL
		WHEN 'approve' THEN 'awaiting_approval' WHEN 'reject' THEN 'awaiting_approval'
		WHEN 'workflow' THEN 'requested' WHEN 'webhook' THEN 'processing' WHEN 'poll' THEN 'processing' ELSE 'requested' END,
	CASE kind WHEN 'api' THEN (CASE WHEN i % 33 = 0 THEN 'awaiting_approval' ELSE 'requested' END)
		WHEN 'batch' THEN 'requested' WHEN 'schedule' THEN 'requested' WHEN 'approve' THEN 'requested'
		WHEN 'reject' THEN 'rejected' WHEN 'workflow' THEN 'submitted' WHEN 'webhook' THEN 'paid' WHEN 'poll' THEN 'paid'
		ELSE 'cancelled' END,
	CASE kind WHEN 'api' THEN 'api' WHEN 'batch' THEN 'api' WHEN 'schedule' THEN 'api' WHEN 'workflow' THEN 'workflow'
		WHEN 'webhook' THEN 'webhook' WHEN 'poll' THEN 'poll' ELSE 'admin' END,
	CASE WHEN kind IN ('workflow', 'webhook', 'poll') THEN '' WHEN kind = 'schedule' THEN 'ops'
		WHEN kind IN ('approve', 'reject') THEN 'admin-' || ((i + 1) % 5) ELSE 'admin-' || (i % 5) END,
	CASE kind WHEN 'api' THEN '{"via": "api"}'::jsonb
		WHEN 'batch' THEN jsonb_build_object('via', 'batch', 'batch_id', 'bench-batch-' || (i % 500))
		WHEN 'schedule' THEN '{"via": "schedule"}'::jsonb
		WHEN 'approve' THEN '{"decision": "approve"}'::jsonb WHEN 'reject' THEN '{"decision": "reject"}'::jsonb
		WHEN 'cancel' THEN '{"decision": "cancel"}'::jsonb
		WHEN 'campaign-cancel' THEN jsonb_build_object('batch_id', 'bench-batch-' || (i % 500), 'reason', 'bench')
		ELSE '{}'::jsonb END,
	at
FROM k`

const fillAuditTablesSQL = `
WITH b AS (
	INSERT INTO payout_batches (id, idempotency_key, fingerprint, row_count, requested_by, state, created_at)
	SELECT 'bench-batch-' || i, 'bench-batch-key-' || i, sha256(convert_to('bench-batch-' || i, 'UTF8')), 1000,
		'admin-' || (i % 5), 'started', $1::timestamptz - random() * interval '90 days'
	FROM generate_series(0, 499) AS i
	RETURNING id, created_at
), be AS (
	INSERT INTO payout_batch_events (batch_id, action, actor, at)
	SELECT 'bench-batch-' || (i % 500), (ARRAY['started', 'paused', 'resumed', 'approved'])[1 + i % 4],
		CASE WHEN i % 4 = 0 THEN 'workflow' ELSE 'admin-' || (i % 5) END, $1::timestamptz - random() * interval '90 days'
	FROM generate_series(0, 999) AS i
), s AS (
	INSERT INTO payout_schedules (id, client_id, name, asset, network, amount, is_subtract, spec, created_by, created_at)
	SELECT 'payout-schedule-bench-' || i, 'client-' || i, 'bench_' || i, 'USDT', 'tron', 10, true, '{}',
		'admin-' || (i % 5), $1::timestamptz - random() * interval '90 days'
	FROM generate_series(0, 299) AS i
), se AS (
	INSERT INTO payout_schedule_events (schedule_id, action, actor, at)
	SELECT 'payout-schedule-bench-' || (i % 300), (ARRAY['paused', 'resumed', 'approved', 'awaiting_approval'])[1 + i % 4],
		'admin-' || (i % 5), $1::timestamptz - random() * interval '90 days'
	FROM generate_series(0, 999) AS i
)
INSERT INTO reconciliation_runs (id, trigger, workflow_id, status, phase, requested_at, started_at, heartbeat_at, finished_at)
SELECT 'bench-run-' || i, CASE WHEN i < 2160 THEN 'schedule' ELSE 'admin:admin-' || (i % 5) END, 'payout-reconciliation',
	'succeeded', 'done', t, t, t, t
FROM generate_series(0, 2359) AS i,
	LATERAL (SELECT $1::timestamptz - interval '2 hours' - CASE WHEN i < 2160 THEN make_interval(hours => i)
		ELSE random() * interval '90 days' END AS t) AS w`
