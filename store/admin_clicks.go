package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Admin actions counted by AdminClicks. ActionEventEndpointChanged is an
// endpoint created or deleted (a redelivery is an operator's routine, not
// a change).
const (
	ActionPayoutRequested         = "payout_requested"
	ActionPayoutApproved          = "payout_approved"
	ActionPayoutRejected          = "payout_rejected"
	ActionPayoutCancelled         = "payout_cancelled"
	ActionCampaignUploaded        = "campaign_uploaded"
	ActionCampaignApproved        = "campaign_approved"
	ActionCampaignRejected        = "campaign_rejected"
	ActionCampaignPaused          = "campaign_paused"
	ActionCampaignResumed         = "campaign_resumed"
	ActionCampaignCancelled       = "campaign_cancelled"
	ActionScheduleChanged         = "schedule_changed"
	ActionReconciliationTriggered = "reconciliation_triggered"
	ActionEventEndpointChanged    = "event_endpoint_changed"
)

// AdminActions lists every action in the order the API shows them.
var AdminActions = []string{
	ActionPayoutRequested, ActionPayoutApproved, ActionPayoutRejected, ActionPayoutCancelled,
	ActionCampaignUploaded, ActionCampaignApproved, ActionCampaignRejected, ActionCampaignPaused,
	ActionCampaignResumed, ActionCampaignCancelled, ActionScheduleChanged, ActionReconciliationTriggered,
	ActionEventEndpointChanged,
}

// AdminClick is how often one admin did one action on one UTC day.
type AdminClick struct {
	Admin  string
	Action string
	Day    time.Time // midnight UTC
	Count  int64
}

// adminClicksSQL counts admin actions from every audit table in one
// statement, so the figures are one snapshot. Each branch's WHERE repeats
// the predicate of its index from migration 00015 word for word: the
// planner proves a partial index usable only from the same expression.
//
// Not counted as an admin's: the creation rows of campaign payouts (the
// upload is one action) and of schedule runs, the per-row cancellations
// a campaign cancel writes (they carry batch_id), a schedule's
// awaiting_approval event (written with its creation, counted from
// payout_schedules), the workflow's campaign "started", scheduled and CLI
// reconciliation runs (an API trigger is recorded as "admin:<name>"), and
// actors that are not people. A trigger that joined a run already in
// progress is not recorded by name, so only a run's first trigger counts.
const adminClicksSQL = `
	WITH a (admin, action, at) AS (
		SELECT actor,
			CASE WHEN from_status IS NULL THEN 'payout_requested'
				WHEN to_status = 'requested' THEN 'payout_approved'
				ELSE 'payout_' || to_status END,
			at
		FROM payout_events
		WHERE at >= $1 AND at < $2
			AND ((from_status IS NULL AND details->>'via' = 'api') OR (source = 'admin' AND NOT details ? 'batch_id'))
		UNION ALL
		SELECT requested_by, 'campaign_uploaded', created_at FROM payout_batches
		WHERE created_at >= $1 AND created_at < $2
		UNION ALL
		SELECT actor, 'campaign_' || action, at FROM payout_batch_events
		WHERE at >= $1 AND at < $2 AND action <> 'started'
		UNION ALL
		SELECT created_by, 'schedule_changed', created_at FROM payout_schedules
		WHERE created_at >= $1 AND created_at < $2
		UNION ALL
		SELECT actor, 'schedule_changed', at FROM payout_schedule_events
		WHERE at >= $1 AND at < $2 AND action <> 'awaiting_approval'
		UNION ALL
		SELECT substr(trigger, 7), 'reconciliation_triggered', requested_at FROM reconciliation_runs
		WHERE requested_at >= $1 AND requested_at < $2 AND trigger LIKE 'admin:%'
		UNION ALL
		SELECT actor, 'event_endpoint_changed', at FROM event_endpoint_events
		WHERE at >= $1 AND at < $2 AND action <> 'redelivered'
	)
	SELECT admin, action, (at AT TIME ZONE 'UTC')::date, count(*) FROM a
	WHERE admin NOT IN ('', 'workflow', 'system', 'schedule')
	GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`

// AdminClicks counts what each admin did in [from, to), per action and UTC
// day, ordered by admin, action and day. A zero from or to leaves that end
// open.
func (s *Store) AdminClicks(ctx context.Context, from, to time.Time) ([]AdminClick, error) {
	rows, err := s.pool.Query(ctx, adminClicksSQL, bound(from, pgtype.NegativeInfinity), bound(to, pgtype.Infinity))
	if err != nil {
		return nil, fmt.Errorf("store: admin clicks: %w", err)
	}
	out, err := collect(rows, func(row pgx.CollectableRow) (AdminClick, error) {
		var c AdminClick
		var day pgtype.Date
		if err := row.Scan(&c.Admin, &c.Action, &day, &c.Count); err != nil {
			return AdminClick{}, err
		}
		c.Day = day.Time.UTC()
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: admin clicks: %w", err)
	}
	return out, nil
}

// bound is t, or an infinity when t is zero, so an open end still reads
// as a range on the time index.
func bound(t time.Time, open pgtype.InfinityModifier) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{InfinityModifier: open, Valid: true}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}
