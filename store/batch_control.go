package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/payout"
)

// BatchState is what a campaign's workflow obeys between pages of starts.
type BatchState string

const (
	BatchAwaitingApproval BatchState = "awaiting_approval" // over a threshold: one decision for the whole campaign
	BatchStarting         BatchState = "starting"          // rows are still being started
	BatchPaused           BatchState = "paused"            // no row starts until resumed
	BatchCancelled        BatchState = "cancelled"         // no more rows start, ever
	BatchStarted          BatchState = "started"           // every row was started
)

// ErrBatchFinal refuses a move out of a final batch state (cancelled,
// started): nothing is left to start, so neither can be undone.
var ErrBatchFinal = errors.New("batch state is final")

// ErrBatchMove refuses a move the batch states do not allow from a state
// that is not final (paused cannot become started: a paused campaign
// starts nothing), or a move audited under the wrong action. Like
// ErrBatchFinal it is a conflict, never worth retrying.
var ErrBatchMove = errors.New("batch state change not allowed")

// batchMoves are the allowed state changes, each with the action its audit
// row must name. Setting the current state again is not a move
// (SetBatchState treats it as a no-op).
var batchMoves = map[BatchState]map[BatchState]string{
	BatchAwaitingApproval: {BatchStarting: "approved", BatchCancelled: "rejected"},
	BatchStarting:         {BatchPaused: "paused", BatchCancelled: "cancelled", BatchStarted: "started"},
	BatchPaused:           {BatchStarting: "resumed", BatchCancelled: "cancelled"},
}

// Valid says whether s is one of the four states.
func (s BatchState) Valid() bool {
	switch s {
	case BatchAwaitingApproval, BatchStarting, BatchPaused, BatchCancelled, BatchStarted:
		return true
	}
	return false
}

// Final says whether no state change leaves s.
func (s BatchState) Final() bool { return len(batchMoves[s]) == 0 }

// BatchEvent is one audited state change of a batch.
type BatchEvent struct {
	ID      int64          `json:"id"`
	BatchID string         `json:"batch_id"`
	Action  string         `json:"action"`
	Actor   string         `json:"actor"`
	Details map[string]any `json:"details"`
	At      time.Time      `json:"at"`
}

// BatchPageKey is the position after the last batch of a ListBatches page.
type BatchPageKey struct {
	CreatedAt time.Time
	ID        string
}

// SetBatchState moves a batch to state to and records action by actor in
// payout_batch_events, in one transaction that locks the batch row, so two
// admins (or an admin and the workflow) cannot both move it. Setting the
// state it already has changes nothing and records nothing (changed=false),
// which makes pause, resume and cancel idempotent. A move out of cancelled
// or started wraps ErrBatchFinal, any other refused move ErrBatchMove; an
// unknown batch is ErrNotFound. The action must be the move's: paused,
// resumed (paused to starting), cancelled or started.
func (s *Store) SetBatchState(ctx context.Context, batchID string, to BatchState, action, actor string, details map[string]any) (changed bool, err error) {
	if !to.Valid() {
		return false, fmt.Errorf("store: set batch %s state: unknown state %q", batchID, to)
	}
	raw := []byte(`{}`)
	if len(details) > 0 {
		if raw, err = json.Marshal(details); err != nil {
			return false, fmt.Errorf("store: set batch %s state %s: encode details: %w", batchID, to, err)
		}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var from BatchState
		err := tx.QueryRow(ctx, `SELECT state FROM payout_batches WHERE id = $1 FOR UPDATE`, batchID).Scan(&from)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock batch: %w", err)
		}
		if from == to {
			return nil
		}
		want, allowed := batchMoves[from][to]
		switch {
		case from.Final():
			return fmt.Errorf("%w: %s cannot become %s", ErrBatchFinal, from, to)
		case !allowed:
			return fmt.Errorf("%w: %s cannot become %s", ErrBatchMove, from, to)
		case action != want:
			// The audit row must say what happened: a resume recorded
			// as "paused" would mislead whoever reads the trail.
			return fmt.Errorf("%w: %s to %s is action %q, not %q", ErrBatchMove, from, to, want, action)
		}
		if _, err := tx.Exec(ctx, `UPDATE payout_batches SET state = $2, waiting_for = NULL, updated_at = now() WHERE id = $1`,
			batchID, string(to)); err != nil {
			return fmt.Errorf("update state: %w", err)
		}
		if from == BatchAwaitingApproval {
			// The campaign's decision is its rows': none waits any more.
			if _, err := tx.Exec(ctx, `UPDATE payouts p SET waiting_for = NULL FROM payout_batch_items i
				WHERE i.batch_id = $1 AND p.id = i.payout_id AND p.waiting_for IS NOT NULL`, batchID); err != nil {
				return fmt.Errorf("release rows: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO payout_batch_events (batch_id, action, actor, details) VALUES ($1, $2, $3, $4::jsonb)`,
			batchID, action, actor, raw); err != nil {
			return fmt.Errorf("record %s event: %w", action, err)
		}
		changed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: set batch %s state %s: %w", batchID, to, err)
	}
	return changed, nil
}

// BatchRowsToStart returns up to limit of the batch's payouts whose
// workflow start is not acknowledged and that are not final, in payout ID
// order after afterPayoutID (empty for the first page). A row cancelled
// while unstarted stays unstarted but is final, so it is skipped.
func (s *Store) BatchRowsToStart(ctx context.Context, batchID, afterPayoutID string, limit int) ([]payout.Payout, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: rows to start of batch %s: limit must be positive, got %d", batchID, limit)
	}
	rows, err := s.pool.Query(ctx, batchRowsToStartSQL, batchID, afterPayoutID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: rows to start of batch %s: %w", batchID, err)
	}
	out, err := scanPayouts(rows)
	if err != nil {
		return nil, fmt.Errorf("store: rows to start of batch %s: %w", batchID, err)
	}
	return out, nil
}

// batchRowsToStartSQL pages payout_batch_items_payout_order_idx from the
// workflow's cursor: the workflow starts rows in this order, so the rows
// past the cursor are the unstarted ones. (For the one campaign that fills
// the table the planner may walk the unstarted rows' payout_id index
// instead; both are index-backed.)
const batchRowsToStartSQL = `
	SELECT ` + payoutColumns + `
	FROM payout_batch_items i JOIN payouts p ON p.id = i.payout_id
	WHERE i.batch_id = $1 AND i.started_at IS NULL AND i.payout_id > $2
		AND p.status NOT IN ('paid', 'failed', 'cancelled', 'rejected', 'expired')
	ORDER BY i.payout_id
	LIMIT $3`

// MarkFinishedBatchRowsStarted records as started the batch's unstarted
// rows in (after, through] whose payouts are already final; through ""
// has no upper bound. A page attempt that died after starting rows but
// before recording them leaves such rows: their workflows ran to the end
// before the retry, which BatchRowsToStart then skips, so without this
// they would count as not started for ever. While a campaign is starting
// nothing but a row's workflow makes it final (a cancel stops the pages
// first), so a final row was started. It returns how many it recorded.
func (s *Store) MarkFinishedBatchRowsStarted(ctx context.Context, batchID, after, through string) (int, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE payout_batch_items i SET started_at = now()
		FROM payouts p
		WHERE p.id = i.payout_id AND i.batch_id = $1 AND i.started_at IS NULL
			AND i.payout_id > $2 AND ($3 = '' OR i.payout_id <= $3)
			AND p.status IN ('paid', 'failed', 'cancelled', 'rejected', 'expired')`, batchID, after, through)
	if err != nil {
		return 0, fmt.Errorf("store: mark finished rows of batch %s started: %w", batchID, err)
	}
	return int(tag.RowsAffected()), nil
}

// cancelChunk bounds how many rows one statement (one transaction) of
// CancelUnstartedBatchRows cancels, so a 100,000-row campaign holds no
// long transaction and no lock on all of its rows at once.
const cancelChunk = 1000

// cancelUnstartedSQL cancels one page of a batch's unstarted rows. The page
// is chosen without locks (so its size says whether more pages follow);
// then the rows still unstarted and still cancellable are locked, payout
// and item, so a start being recorded at the same moment either wins
// (and the row is left alone) or waits for this chunk. The status moves
// under payout_can_transition, as applySQL's do, and the payouts_guard
// trigger checks it again.
const cancelUnstartedSQL = `
	WITH page AS (
		SELECT payout_id FROM payout_batch_items
		WHERE batch_id = $1 AND started_at IS NULL AND payout_id > $2
		ORDER BY payout_id
		LIMIT $3
	), cand AS (
		SELECT p.id AS cand_id, p.status AS old_status
		FROM payouts p JOIN payout_batch_items i ON i.payout_id = p.id
		WHERE p.id IN (SELECT payout_id FROM page) AND i.started_at IS NULL
			AND p.status IN ('requested', 'awaiting_approval')
		FOR UPDATE OF p, i
	), upd AS (
		UPDATE payouts SET status = 'cancelled', failure_reason = coalesce(NULLIF($4, ''), failure_reason), waiting_for = NULL
		FROM cand
		WHERE id = cand.cand_id AND payout_can_transition(cand.old_status, 'cancelled')
		RETURNING id, cand.old_status
	), ev AS (
		INSERT INTO payout_events (payout_id, from_status, to_status, source, actor, details)
		SELECT id, old_status, 'cancelled', 'admin', $5,
			jsonb_build_object('batch_id', $1::text, 'reason', $4::text)
		FROM upd
	)
	SELECT (SELECT count(*) FROM page), coalesce((SELECT max(payout_id) FROM page), ''),
		(SELECT count(*) FROM upd)`

// CancelUnstartedBatchRows cancels every row of the batch whose workflow
// was never started and that is still requested or awaiting approval, with
// reason as failure_reason and one admin audit row each. Rows already
// started are left to their workflows. It works in chunks of cancelChunk
// rows, each committed on its own: an interruption leaves a prefix
// cancelled, and calling again finishes the rest (a second full call
// cancels 0). An unknown batch has no rows, so 0.
func (s *Store) CancelUnstartedBatchRows(ctx context.Context, batchID, actor, reason string) (int, error) {
	total, after := 0, ""
	for {
		var paged, cancelled int
		err := s.pool.QueryRow(ctx, cancelUnstartedSQL, batchID, after, cancelChunk, reason, actor).
			Scan(&paged, &after, &cancelled)
		if err != nil {
			return total, fmt.Errorf("store: cancel unstarted rows of batch %s (after %d): %w", batchID, total, err)
		}
		total += cancelled
		if paged < cancelChunk {
			return total, nil
		}
	}
}

// The two ListBatches pages read payout_batches_created_idx in order; the
// row comparison is the index condition of every page after the first.
const (
	listBatchesSQL = `
	SELECT ` + batchColumns + ` FROM payout_batches
	ORDER BY created_at DESC, id DESC
	LIMIT $1`
	listBatchesAfterSQL = `
	SELECT ` + batchColumns + ` FROM payout_batches
	WHERE (created_at, id) < ($1, $2)
	ORDER BY created_at DESC, id DESC
	LIMIT $3`
)

// ListBatches returns up to limit batches newest first, after the key of
// the previous page (nil for the first). next is the key to pass for the
// following page, nil on the last one. One index-backed query per page:
// limit+1 rows tell whether another page follows.
func (s *Store) ListBatches(ctx context.Context, after *BatchPageKey, limit int) ([]Batch, *BatchPageKey, error) {
	if limit <= 0 {
		return nil, nil, fmt.Errorf("store: list batches: limit must be positive, got %d", limit)
	}
	var (
		rows pgx.Rows
		err  error
	)
	if after == nil {
		rows, err = s.pool.Query(ctx, listBatchesSQL, limit+1)
	} else {
		rows, err = s.pool.Query(ctx, listBatchesAfterSQL, after.CreatedAt, after.ID, limit+1)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: list batches: %w", err)
	}
	list, err := collect(rows, rowTo(scanBatch))
	if err != nil {
		return nil, nil, fmt.Errorf("store: list batches: %w", err)
	}
	if len(list) <= limit {
		return list, nil, nil
	}
	list = list[:limit]
	last := list[limit-1]
	return list, &BatchPageKey{CreatedAt: last.CreatedAt, ID: last.ID}, nil
}

// BatchPayoutsPage returns up to limit of the batch's payouts in payout ID
// order after afterPayoutID (empty for the first page).
func (s *Store) BatchPayoutsPage(ctx context.Context, batchID, afterPayoutID string, limit int) ([]payout.Payout, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: payouts of batch %s: limit must be positive, got %d", batchID, limit)
	}
	rows, err := s.pool.Query(ctx, batchPayoutsPageSQL, batchID, afterPayoutID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: payouts of batch %s: %w", batchID, err)
	}
	out, err := scanPayouts(rows)
	if err != nil {
		return nil, fmt.Errorf("store: payouts of batch %s: %w", batchID, err)
	}
	return out, nil
}

// batchPayoutsPageSQL pages payout_batch_items_payout_order_idx.
const batchPayoutsPageSQL = `
	SELECT ` + payoutColumns + `
	FROM payout_batch_items i JOIN payouts p ON p.id = i.payout_id
	WHERE i.batch_id = $1 AND i.payout_id > $2
	ORDER BY i.payout_id
	LIMIT $3`

// BatchEvents returns the batch's audited state changes, oldest first.
func (s *Store) BatchEvents(ctx context.Context, batchID string) ([]BatchEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, batch_id, action, actor, details, at FROM payout_batch_events
		WHERE batch_id = $1 ORDER BY id`, batchID)
	if err != nil {
		return nil, fmt.Errorf("store: events of batch %s: %w", batchID, err)
	}
	out, err := collect(rows, func(row pgx.CollectableRow) (BatchEvent, error) {
		var (
			e   BatchEvent
			raw []byte
		)
		if err := row.Scan(&e.ID, &e.BatchID, &e.Action, &e.Actor, &raw, &e.At); err != nil {
			return BatchEvent{}, err
		}
		if err := json.Unmarshal(raw, &e.Details); err != nil {
			return BatchEvent{}, fmt.Errorf("decode details of event %d: %w", e.ID, err)
		}
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: events of batch %s: %w", batchID, err)
	}
	return out, nil
}

// StartingBatches returns the campaigns still starting rows, oldest first,
// with how many of their rows have started: what a worker checks at start
// for campaigns that have no workflow (stored before campaigns were
// workflows). Few rows: a campaign leaves this state when its rows have
// all started or it is paused or cancelled.
func (s *Store) StartingBatches(ctx context.Context) ([]StartingBatch, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+batchColumnsOf("b")+`,
			(SELECT count(*) FROM payout_batch_items i WHERE i.batch_id = b.id AND i.started_at IS NOT NULL)
		FROM payout_batches b
		WHERE b.state = $1
		ORDER BY b.created_at, b.id`, BatchStarting)
	if err != nil {
		return nil, fmt.Errorf("store: starting batches: %w", err)
	}
	list, err := collect(rows, func(row pgx.CollectableRow) (StartingBatch, error) {
		var sb StartingBatch
		b := &sb.Batch
		err := row.Scan(&b.ID, &b.IdempotencyKey, &b.Fingerprint, &b.RowCount, &b.RequestedBy, &b.State, &b.CreatedAt, &b.UpdatedAt,
			&b.WaitingFor, &sb.Started)
		return sb, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: starting batches: %w", err)
	}
	return list, nil
}

// StartingBatch is a campaign still starting rows, and how many have.
type StartingBatch struct {
	Batch
	Started int
}

func batchColumnsOf(alias string) string {
	cols := strings.Split(batchColumns, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}
