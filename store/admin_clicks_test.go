package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

func TestAdminClicksCountsEveryAuditSourcePerAdminActionAndDay(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	day1 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	from, to := day1, day2.Add(24*time.Hour)
	// The rows are written with triggers and foreign keys off: only the
	// audit rows matter here, not the payouts they belong to.
	require.NoError(t, pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		events := []struct {
			from          *string
			to, src, actr string
			details       string
			at            time.Time
		}{
			{nil, "awaiting_approval", "api", "alice", `{"via":"api"}`, from},                      // first instant: in
			{nil, "requested", "api", "alice", `{"via":"api"}`, day1.Add(23 * time.Hour)},          // day 1
			{nil, "requested", "api", "alice", `{"via":"api"}`, day2.Add(time.Hour)},               // day 2
			{nil, "requested", "api", "alice", `{"via":"api"}`, to},                                // to is out
			{nil, "requested", "api", "alice", `{"via":"api"}`, from.Add(-time.Nanosecond * 1000)}, // before from
			{nil, "requested", "api", "alice", `{"via":"batch","batch_id":"b1"}`, day1},            // the campaign counts once
			{nil, "requested", "api", "alice", `{"via":"schedule"}`, day1},                         // a schedule run
			{nil, "requested", "api", "workflow", `{"via":"workflow"}`, day1},
			{ptr("awaiting_approval"), "requested", "admin", "bob", `{"decision":"approve"}`, day1.Add(time.Hour)},
			{ptr("awaiting_approval"), "rejected", "admin", "bob", `{"decision":"reject"}`, day2},
			{ptr("requested"), "cancelled", "admin", "carol", `{"decision":"cancel"}`, day2},
			{ptr("requested"), "cancelled", "admin", "carol", `{"batch_id":"b1"}`, day2}, // a campaign cancel's row
			{ptr("requested"), "submitted", "workflow", "", `{}`, day1},
			{ptr("processing"), "paid", "webhook", "", `{}`, day1},
		}
		for i, e := range events {
			if _, err := tx.Exec(ctx, `INSERT INTO payout_events (payout_id, from_status, to_status, source, actor, details, at)
				VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`, "po"+string(rune('a'+i)), e.from, e.to, e.src, e.actr, e.details, e.at); err != nil {
				return err
			}
		}
		stmts := []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO payout_batches (id, idempotency_key, fingerprint, row_count, requested_by, created_at)
				VALUES ('b1', 'k1', sha256('x'), 3, 'alice', $1)`, []any{day2}},
			{`INSERT INTO payout_batch_events (batch_id, action, actor, at) VALUES
				('b1', 'approved', 'bob', $1), ('b1', 'paused', 'carol', $1), ('b1', 'cancelled', 'carol', $1),
				('b1', 'started', 'workflow', $1)`, []any{day2}},
			{`INSERT INTO payout_schedules (id, client_id, name, asset, network, amount, is_subtract, spec, created_by, created_at)
				VALUES ('payout-schedule-s1', 'c1', 'weekly', 'USDT', 'tron', 5, true, '{}', 'dave', $1)`, []any{day1}},
			{`INSERT INTO payout_schedule_events (schedule_id, action, actor, at) VALUES
				('payout-schedule-s1', 'awaiting_approval', 'dave', $1), ('payout-schedule-s1', 'approved', 'bob', $1),
				('payout-schedule-s1', 'paused', 'dave', $2)`, []any{day1, day2}},
			{`INSERT INTO reconciliation_runs (id, trigger, workflow_id, status, requested_at) VALUES
				('r1', 'admin:erin', 'payout-reconciliation-manual', 'pending', $1),
				('r2', 'schedule', 'payout-reconciliation', 'pending', $1),
				('r3', 'cli', 'payout-reconciliation-manual', 'pending', $1)`, []any{day1}},
			{`INSERT INTO event_endpoint_events (endpoint_id, action, actor, at) VALUES
				('ep1', 'created', 'frank', $1), ('ep1', 'deleted', 'frank', $2), ('ep1', 'redelivered', 'frank', $2)`, []any{day1, day2}},
		}
		for _, st := range stmts {
			if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
				return err
			}
		}
		return nil
	}))

	got, err := s.AdminClicks(ctx, from, to)
	require.NoError(t, err)
	assert.Equal(t, []store.AdminClick{
		{"alice", store.ActionCampaignUploaded, day2, 1},
		{"alice", store.ActionPayoutRequested, day1, 2},
		{"alice", store.ActionPayoutRequested, day2, 1},
		{"bob", store.ActionCampaignApproved, day2, 1},
		{"bob", store.ActionPayoutApproved, day1, 1},
		{"bob", store.ActionPayoutRejected, day2, 1},
		{"bob", store.ActionScheduleChanged, day1, 1},
		{"carol", store.ActionCampaignCancelled, day2, 1},
		{"carol", store.ActionCampaignPaused, day2, 1},
		{"carol", store.ActionPayoutCancelled, day2, 1},
		{"dave", store.ActionScheduleChanged, day1, 1},
		{"dave", store.ActionScheduleChanged, day2, 1},
		{"erin", store.ActionReconciliationTriggered, day1, 1},
		{"frank", store.ActionEventEndpointChanged, day1, 1},
		{"frank", store.ActionEventEndpointChanged, day2, 1},
	}, got)

	all, err := s.AdminClicks(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	var requested int64
	for _, c := range all {
		if c.Admin == "alice" && c.Action == store.ActionPayoutRequested {
			requested += c.Count
		}
	}
	assert.Equal(t, int64(5), requested, "open ends take the rows before from and at to")

	none, err := s.AdminClicks(ctx, to.Add(time.Hour), to.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Empty(t, none)
}

func ptr(s string) *string { return &s }
