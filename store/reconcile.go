package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
)

// ErrLeaseLost means a reconciliation run no longer holds the lease: another
// run took it over after this one made no progress for too long.
var ErrLeaseLost = errors.New("reconciliation run no longer holds the lease")

// Run is one reconciliation run.
type Run struct {
	ID             string           `json:"id"`
	Trigger        string           `json:"trigger"`
	WorkflowID     string           `json:"workflow_id"`
	ManualTriggers int              `json:"manual_triggers"` // triggers that asked for this run
	Status         reconcile.Status `json:"status"`
	Phase          reconcile.Phase  `json:"phase"`
	WindowFrom     *time.Time       `json:"window_from"`
	WindowTo       *time.Time       `json:"window_to"`
	Counts         reconcile.Counts `json:"counts"`
	Error          string           `json:"error,omitempty"`
	HeldBy         string           `json:"held_by,omitempty"`
	RequestedAt    time.Time        `json:"requested_at"`
	StartedAt      *time.Time       `json:"started_at"`
	HeartbeatAt    *time.Time       `json:"heartbeat_at"`
	FinishedAt     *time.Time       `json:"finished_at"`
}

// Lease says how a run may begin: a running run that has not written
// progress for TTL is presumed dead and loses the lease.
type Lease struct {
	TTL      time.Duration
	Overlap  time.Duration // read this much before the last watermark again
	Lookback time.Duration // the first run's window
}

const runColumns = `id, trigger, workflow_id, manual_triggers, status, phase, window_from, window_to, counts, coalesce(error, ''),
	coalesce(held_by, ''), requested_at, started_at, heartbeat_at, finished_at`

func scanRun(row pgx.Row) (Run, error) {
	var (
		r             Run
		status, phase string
		counts        []byte
	)
	err := row.Scan(&r.ID, &r.Trigger, &r.WorkflowID, &r.ManualTriggers, &status, &phase, &r.WindowFrom, &r.WindowTo, &counts, &r.Error,
		&r.HeldBy, &r.RequestedAt, &r.StartedAt, &r.HeartbeatAt, &r.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Run{}, ErrNotFound
	}
	if err != nil {
		return Run{}, err
	}
	r.Status, r.Phase = reconcile.Status(status), reconcile.Phase(phase)
	if err := json.Unmarshal(counts, &r.Counts); err != nil {
		return Run{}, fmt.Errorf("decode counts of run %s: %w", r.ID, err)
	}
	return r, nil
}

// RunStart names a run and what started it.
type RunStart struct {
	ID         string
	Trigger    string
	WorkflowID string
}

// RequestRun records a manual trigger of run r: as a pending run, so the
// API can show it before the worker begins it, or on the run already
// recorded. first says whether this was the run's first trigger; the
// others joined it. The count is atomic, so of two triggers at once
// exactly one is first, whichever the worker saw.
func (s *Store) RequestRun(ctx context.Context, r RunStart) (first bool, err error) {
	var n int
	err = s.pool.QueryRow(ctx, `
		INSERT INTO reconciliation_runs (id, trigger, workflow_id, status, manual_triggers)
		VALUES ($1, $2, $3, 'pending', 1)
		ON CONFLICT (id) DO UPDATE SET manual_triggers = reconciliation_runs.manual_triggers + 1
		RETURNING manual_triggers`, r.ID, r.Trigger, r.WorkflowID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: request reconciliation run %s: %w", r.ID, err)
	}
	return n == 1, nil
}

// BeginRun takes the lease for run id and fixes its window, or records the
// run as skipped when another live run holds the lease. Beginning a run
// that already began returns it unchanged, so a retried activity is safe.
func (s *Store) BeginRun(ctx context.Context, start RunStart, l Lease) (Run, error) {
	id := start.ID
	var out Run
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Serialises beginnings; the partial unique index is the backstop.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, reconcileLockID); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		mine, err := scanRun(tx.QueryRow(ctx, `SELECT `+runColumns+` FROM reconciliation_runs WHERE id = $1`, id))
		if err == nil && mine.Status != reconcile.StatusPending {
			out = mine
			return nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("load run: %w", err)
		}
		holder, err := liveHolder(ctx, tx, id, l.TTL)
		if err != nil {
			return err
		}
		if holder != "" {
			out, err = upsertSkipped(ctx, tx, start, holder)
			return err
		}
		out, err = upsertRunning(ctx, tx, start, l)
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("store: begin reconciliation run %s: %w", id, err)
	}
	return out, nil
}

// reconcileLockID keys the advisory lock that serialises run beginnings.
const reconcileLockID int64 = 0x7265636f6e63 // "reconc"

// liveHolder returns the run holding the lease, after failing a holder
// that stopped making progress.
func liveHolder(ctx context.Context, tx pgx.Tx, id string, ttl time.Duration) (string, error) {
	var holder string
	var stale bool
	err := tx.QueryRow(ctx, `
		SELECT id, heartbeat_at < now() - make_interval(secs => $2) FROM reconciliation_runs
		WHERE status = 'running' AND id <> $1 FOR UPDATE`, id, ttl.Seconds()).Scan(&holder, &stale)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find lease holder: %w", err)
	}
	if !stale {
		return holder, nil
	}
	_, err = tx.Exec(ctx, `
		UPDATE reconciliation_runs SET status = 'failed', finished_at = now(),
			error = 'abandoned: no progress for ' || $2
		WHERE id = $1`, holder, ttl.String())
	if err != nil {
		return "", fmt.Errorf("fail stale run %s: %w", holder, err)
	}
	return "", nil
}

func upsertSkipped(ctx context.Context, tx pgx.Tx, start RunStart, holder string) (Run, error) {
	r, err := scanRun(tx.QueryRow(ctx, `
		INSERT INTO reconciliation_runs (id, trigger, workflow_id, status, held_by, started_at, finished_at)
		VALUES ($1, $2, $3, 'skipped', $4, now(), now())
		ON CONFLICT (id) DO UPDATE SET status = 'skipped', held_by = $4, started_at = now(), finished_at = now()
		RETURNING `+runColumns, start.ID, start.Trigger, start.WorkflowID, holder))
	if err != nil {
		return Run{}, fmt.Errorf("record skipped run: %w", err)
	}
	return r, nil
}

// upsertRunning starts the window at the last succeeded run's watermark
// minus the overlap, so a payout listed late or a clock skew between the
// two sides is still seen; the first run looks back Lookback.
func upsertRunning(ctx context.Context, tx pgx.Tx, start RunStart, l Lease) (Run, error) {
	r, err := scanRun(tx.QueryRow(ctx, `
		WITH mark AS (SELECT max(window_to) AS at FROM reconciliation_runs WHERE status = 'succeeded')
		INSERT INTO reconciliation_runs (id, trigger, workflow_id, status, phase, window_from, window_to, started_at, heartbeat_at)
		SELECT $1, $2, $5, 'running', 'begin',
			least(now(), coalesce(mark.at - make_interval(secs => $3), now() - make_interval(secs => $4))), now(), now(), now()
		FROM mark
		ON CONFLICT (id) DO UPDATE SET status = 'running', phase = 'begin', window_from = EXCLUDED.window_from,
			window_to = EXCLUDED.window_to, started_at = now(), heartbeat_at = now()
		RETURNING `+runColumns, start.ID, start.Trigger, l.Overlap.Seconds(), l.Lookback.Seconds(), start.WorkflowID))
	if err != nil {
		return Run{}, fmt.Errorf("record running run: %w", err)
	}
	return r, nil
}

// ProgressRun stores a running run's totals and renews its lease. It
// returns ErrLeaseLost when the run is no longer running.
func (s *Store) ProgressRun(ctx context.Context, id string, phase reconcile.Phase, counts reconcile.Counts) error {
	raw, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("store: progress of run %s: encode counts: %w", id, err)
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE reconciliation_runs SET phase = $2, counts = $3::jsonb, heartbeat_at = now()
		WHERE id = $1 AND status = 'running'`, id, string(phase), raw)
	if err != nil {
		return fmt.Errorf("store: progress of run %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: progress of run %s: %w", id, ErrLeaseLost)
	}
	return nil
}

// FinishRun closes a run with its final totals. A run already closed (a
// retried activity, or a run failed as abandoned) keeps its first ending.
func (s *Store) FinishRun(ctx context.Context, f reconcile.Finish) (Run, error) {
	raw, err := json.Marshal(f.Counts)
	if err != nil {
		return Run{}, fmt.Errorf("store: finish run %s: encode counts: %w", f.RunID, err)
	}
	_, err = s.pool.Exec(ctx, `
		UPDATE reconciliation_runs SET status = $2, phase = 'done', counts = $3::jsonb,
			error = NULLIF($4, ''), finished_at = now()
		WHERE id = $1 AND status IN ('pending', 'running')`, f.RunID, string(f.Status), raw, f.Error)
	if err != nil {
		return Run{}, fmt.Errorf("store: finish run %s: %w", f.RunID, err)
	}
	return s.GetRun(ctx, f.RunID)
}

// GetRun returns a run or ErrNotFound.
func (s *Store) GetRun(ctx context.Context, id string) (Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM reconciliation_runs WHERE id = $1`, id))
	if err != nil {
		return Run{}, fmt.Errorf("store: get reconciliation run %s: %w", id, err)
	}
	return r, nil
}

// RunningRun returns the run holding a live lease, or ErrNotFound.
func (s *Store) RunningRun(ctx context.Context, ttl time.Duration) (Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `
		SELECT `+runColumns+` FROM reconciliation_runs
		WHERE status = 'running' AND heartbeat_at >= now() - make_interval(secs => $1)`, ttl.Seconds()))
	if err != nil {
		return Run{}, fmt.Errorf("store: running reconciliation run: %w", err)
	}
	return r, nil
}

// ListRuns returns runs newest first; before (a run ID, or empty) pages on.
func (s *Store) ListRuns(ctx context.Context, before string, limit int) ([]Run, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: list reconciliation runs: limit must be positive, got %d", limit)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+runColumns+` FROM reconciliation_runs
		WHERE $1 = '' OR (requested_at, id) < (SELECT requested_at, id FROM reconciliation_runs WHERE id = $1)
		ORDER BY requested_at DESC, id DESC
		LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list reconciliation runs: %w", err)
	}
	out, err := collect(rows, rowTo(scanRun))
	if err != nil {
		return nil, fmt.Errorf("store: list reconciliation runs: %w", err)
	}
	return out, nil
}

// PayoutsByID returns the payouts among ids that exist, keyed by ID.
func (s *Store) PayoutsByID(ctx context.Context, ids []string) (map[string]payout.Payout, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+payoutColumns+` FROM payouts WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: payouts by id: %w", err)
	}
	list, err := scanPayouts(rows)
	if err != nil {
		return nil, fmt.Errorf("store: payouts by id: %w", err)
	}
	out := make(map[string]payout.Payout, len(list))
	for _, p := range list {
		out[p.ID] = p
	}
	return out, nil
}

// OpenPayouts returns non-final payouts created before createdBefore, in ID
// order after afterID. Unlike ListNonFinal it ignores updated_at: a payout
// that keeps receiving non-final updates can still be stuck. It leaves out
// a batch's rows not started yet: their batch workflow starts them, and
// reconciliation restarting them as lost starts would undo a pause or a
// cancel of the campaign.
func (s *Store) OpenPayouts(ctx context.Context, createdBefore time.Time, afterID string, limit int) ([]payout.Payout, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: open payouts: limit must be positive, got %d", limit)
	}
	rows, err := s.pool.Query(ctx, openPayoutsSQL, createdBefore, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: open payouts: %w", err)
	}
	out, err := scanPayouts(rows)
	if err != nil {
		return nil, fmt.Errorf("store: open payouts: %w", err)
	}
	return out, nil
}

// openPayoutsSQL walks payouts_open_idx; the anti-join probes
// payout_batch_items_unstarted_payout_idx, which holds only the rows still
// to start.
const openPayoutsSQL = `
	SELECT ` + payoutColumns + ` FROM payouts
	WHERE status NOT IN ('paid', 'failed', 'cancelled', 'rejected', 'expired')
		AND id > $2 AND created_at < $1
		AND NOT EXISTS (SELECT 1 FROM payout_batch_items i WHERE i.payout_id = payouts.id AND i.started_at IS NULL)
	ORDER BY id
	LIMIT $3`

// FailedSince returns payouts that ended failed at or after since, in ID
// order after afterID.
func (s *Store) FailedSince(ctx context.Context, since time.Time, afterID string, limit int) ([]payout.Payout, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: failed payouts: limit must be positive, got %d", limit)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+payoutColumns+` FROM payouts
		WHERE status = 'failed' AND finalized_at >= $1 AND id > $2
		ORDER BY id
		LIMIT $3`, since, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: failed payouts: %w", err)
	}
	out, err := scanPayouts(rows)
	if err != nil {
		return nil, fmt.Errorf("store: failed payouts: %w", err)
	}
	return out, nil
}
