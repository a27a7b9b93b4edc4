package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
)

// RaiseAlert writes an alert to the outbox, where the worker's dispatcher
// posts it until the channel takes it. An alert whose key is already
// there, delivered or not, is not written again: raised says whether this
// call wrote it.
func (s *Store) RaiseAlert(ctx context.Context, a alert.Alert) (raised bool, err error) {
	raised, err = insertAlert(ctx, s.pool, a)
	if err != nil {
		return false, err
	}
	if raised {
		metrics.AlertRaised(a.Message.Kind)
	}
	return raised, nil
}

// ApplyRaising is Apply, and when the change is applied, the alert alertOf
// makes of the payout it leaves, in the same transaction: the status, its
// audit row and its alert are all written or none is. A change that is not
// applied (a repeat, a stale update) raises nothing.
func (s *Store) ApplyRaising(ctx context.Context, c payout.Change, alertOf func(payout.Payout) alert.Alert) (p payout.Payout, applied bool, err error) {
	if !c.To.Valid() {
		return payout.Payout{}, false, fmt.Errorf("store: apply to payout %s: unknown status %q", c.PayoutID, c.To)
	}
	commission, err := nullNumericParam("commission", c.Commission)
	if err != nil {
		return payout.Payout{}, false, fmt.Errorf("store: apply to payout %s: %w", c.PayoutID, err)
	}
	details, err := encodeDetails(withFacts(c))
	if err != nil {
		return payout.Payout{}, false, fmt.Errorf("store: apply to payout %s: %w", c.PayoutID, err)
	}
	var a alert.Alert
	raised := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var from string
		// The arguments of applySQL, as Apply passes them.
		p, err = scanPayoutWith(tx.QueryRow(ctx, applySQL, c.PayoutID, string(c.To), c.HeleketUUID, c.TxID,
			commission, c.FailureReason, string(c.Source), c.Actor, details, c.WaitingFor), &from, &applied)
		if err != nil || !applied {
			return err
		}
		a = alertOf(p)
		raised, err = insertAlert(ctx, tx, a)
		return err
	})
	if err != nil {
		return payout.Payout{}, false, fmt.Errorf("store: apply %s to payout %s: %w", c.To, c.PayoutID, err)
	}
	if raised {
		metrics.AlertRaised(a.Message.Kind)
	}
	return p, applied, nil
}

func insertAlert(ctx context.Context, q execer, a alert.Alert) (bool, error) {
	m := a.Message.Masked()
	if a.Key == "" || m.Kind == "" {
		return false, fmt.Errorf("store: raise alert: key and kind are required (key %q, kind %q)", a.Key, m.Kind)
	}
	if m.At.IsZero() {
		m.At = time.Now().UTC()
	}
	body, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("store: raise alert %s: encode: %w", a.Key, err)
	}
	tag, err := q.Exec(ctx, `
		INSERT INTO alerts (kind, dedupe_key, payout_id, text, message)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5::jsonb)
		ON CONFLICT (dedupe_key) DO NOTHING`, m.Kind, a.Key, m.PayoutID, m.Text, body)
	if err != nil {
		return false, fmt.Errorf("store: raise alert %s: %w", a.Key, err)
	}
	return tag.RowsAffected() == 1, nil
}

const alertColumns = `id, dedupe_key, message, created_at, attempts, coalesce(last_error, ''), delivered_at`

func scanAlert(row pgx.CollectableRow) (alert.Record, error) {
	var r alert.Record
	var body []byte
	if err := row.Scan(&r.ID, &r.Key, &body, &r.CreatedAt, &r.Attempts, &r.LastError, &r.DeliveredAt); err != nil {
		return alert.Record{}, err
	}
	if err := json.Unmarshal(body, &r.Message); err != nil {
		return alert.Record{}, fmt.Errorf("decode alert %d: %w", r.ID, err)
	}
	return r, nil
}

// PendingAlerts returns up to limit alerts the channel has not taken yet,
// oldest first: what an operator reads when alerts are not posted
// anywhere (no ALERT_WEBHOOK_URL) or the channel is down.
func (s *Store) PendingAlerts(ctx context.Context, limit int) ([]alert.Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alertColumns+` FROM alerts WHERE delivered_at IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: pending alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("store: pending alerts: %w", err)
	}
	return out, nil
}

// PayoutAlerts returns a payout's alerts, oldest first, delivered or not.
func (s *Store) PayoutAlerts(ctx context.Context, payoutID string) ([]alert.Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alertColumns+` FROM alerts WHERE payout_id = $1 ORDER BY id`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: alerts of payout %s: %w", payoutID, err)
	}
	out, err := pgx.CollectRows(rows, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("store: alerts of payout %s: %w", payoutID, err)
	}
	return out, nil
}

// alertClaimLock serialises claims, so that two dispatchers cannot both
// spend the last of the rate limit's budget.
const alertClaimLock = 0x616c657274 // "alert"

// ClaimAlerts takes the alerts due at c.Now for one dispatcher: each is
// held until c.Now + c.Lease and counted as an attempt, and no more are
// taken than keep the posts of the window before c.Now within c.RateLimit.
// Times come from the caller's clock, never the database's, so that tests
// can move it.
func (s *Store) ClaimAlerts(ctx context.Context, c alert.Claim) ([]alert.Record, error) {
	var out []alert.Record
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(alertClaimLock)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		rows, err := tx.Query(ctx, `
			WITH budget AS (
				SELECT greatest(least($2::int, $3::int - count(*)::int), 0) AS n
				FROM alerts WHERE last_attempt_at > $4
			), due AS (
				SELECT id FROM alerts
				WHERE delivered_at IS NULL
					AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
					AND (claimed_until IS NULL OR claimed_until <= $1)
				ORDER BY id
				LIMIT (SELECT n FROM budget)
				FOR UPDATE SKIP LOCKED
			)
			UPDATE alerts a SET attempts = attempts + 1, last_attempt_at = $1, claimed_until = $5
			FROM due WHERE a.id = due.id
			RETURNING a.id, a.dedupe_key, a.message, a.created_at, a.attempts, coalesce(a.last_error, ''), a.delivered_at`,
			c.Now, c.Max, c.RateLimit, c.Now.Add(-c.Window), c.Now.Add(c.Lease))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanAlert)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim alerts: %w", err)
	}
	// RETURNING has no order; the oldest alert goes first.
	slices.SortFunc(out, func(a, b alert.Record) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// MarkAlertDelivered records that the channel took an alert.
func (s *Store) MarkAlertDelivered(ctx context.Context, id int64, at time.Time) error {
	return s.markAlert(ctx, id, `UPDATE alerts SET delivered_at = $2, claimed_until = NULL WHERE id = $1`, at)
}

// MarkAlertFailed records a failed post and when to try again.
func (s *Store) MarkAlertFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	return s.markAlert(ctx, id, `
		UPDATE alerts SET last_error = $2, next_attempt_at = $3, claimed_until = NULL
		WHERE id = $1 AND delivered_at IS NULL`, reason, retryAt)
}

func (s *Store) markAlert(ctx context.Context, id int64, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("store: mark alert %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: mark alert %d: %w", id, ErrNotFound)
	}
	return nil
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}
