package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// BatchStore is the part of the store a campaign's workflow uses.
type BatchStore interface {
	GetBatch(ctx context.Context, id string) (store.Batch, error)
	BatchRowsToStart(ctx context.Context, batchID, afterPayoutID string, limit int) ([]payout.Payout, error)
	MarkBatchStarted(ctx context.Context, batchID string, payoutIDs []string) error
	MarkFinishedBatchRowsStarted(ctx context.Context, batchID, after, through string) (int, error)
	SetBatchState(ctx context.Context, batchID string, to store.BatchState, action, actor string, details map[string]any) (bool, error)
	CancelUnstartedBatchRows(ctx context.Context, batchID, actor, reason string) (int, error)
}

// PayoutStarter starts payout workflows through the payout gate
// (starter.Starter).
type PayoutStarter interface {
	Start(ctx context.Context, p payout.Payout, from string) (client.WorkflowRun, error)
}

// ErrTypeBatchOver: a state change the campaign's state no longer allows.
const ErrTypeBatchOver = "BatchOver"

// batchStartConcurrency bounds the workflow starts in flight for one page,
// so a large campaign does not flood Temporal's frontend.
const batchStartConcurrency = 16

// BatchPage asks for the next page of a campaign's rows to start.
type BatchPage struct {
	BatchID string `json:"batch_id"`
	After   string `json:"after,omitempty"` // the last payout ID of the page before
	Limit   int    `json:"limit"`
}

// BatchPageResult says what a page started, and the campaign's stored
// state: a workflow started again for a cancelled or finished campaign
// (a repeated request) stops there.
type BatchPageResult struct {
	Started int    `json:"started"`
	Last    string `json:"last,omitempty"`
	State   string `json:"state"`
}

// batchStoreWait is how many attempts a first page waits for its batch to
// be stored: the API starts the campaign's workflow before it commits the
// rows, so a crash between the two leaves nothing half-done; a batch that
// never appears was never accepted.
const batchStoreWait = 20

// BatchChange is a campaign's state change with its audit row.
type BatchChange struct {
	BatchID string         `json:"batch_id"`
	To      string         `json:"to"` // a store.BatchState
	Action  string         `json:"action"`
	Actor   string         `json:"actor"`
	Details map[string]any `json:"details,omitempty"`
}

// StartBatchPage starts the workflows of the next page of unstarted rows,
// each through the payout gate, and records them started. A retry after a
// crash reads the rows still unstarted and starts them; a start of a row
// whose workflow is already running joins it.
func (a *Activities) StartBatchPage(ctx context.Context, req BatchPage) (BatchPageResult, error) {
	if a.Batches == nil || a.Starter == nil {
		return BatchPageResult{}, errors.New("start batch page: worker has no batch store or starter configured")
	}
	b, err := a.Batches.GetBatch(ctx, req.BatchID)
	if errors.Is(err, store.ErrNotFound) {
		if attempt(ctx) >= batchStoreWait {
			return BatchPageResult{}, temporal.NewNonRetryableApplicationError(
				"batch "+req.BatchID+" was never stored: the request that started it did not complete", ErrTypeBatchOver, err)
		}
		return BatchPageResult{}, fmt.Errorf("batch %s not stored yet: %w", req.BatchID, err)
	}
	if err != nil {
		return BatchPageResult{}, fmt.Errorf("batch %s: %w", req.BatchID, err)
	}
	if b.State == store.BatchCancelled || b.State == store.BatchStarted || b.State == store.BatchAwaitingApproval {
		// Nothing to start: over, or waiting for the campaign's approval.
		return BatchPageResult{State: string(b.State)}, nil
	}
	rows, err := a.Batches.BatchRowsToStart(ctx, req.BatchID, req.After, req.Limit)
	if err != nil {
		return BatchPageResult{}, fmt.Errorf("batch %s: rows to start: %w", req.BatchID, err)
	}
	started := &startedRows{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(batchStartConcurrency)
	for _, p := range rows {
		g.Go(func() error {
			if _, err := a.Starter.Start(gctx, p, gate.FromBatch); err != nil {
				return err
			}
			started.add(p.ID)
			activity.RecordHeartbeat(ctx, started.count())
			return nil
		})
	}
	startErr := g.Wait()
	// What did start is recorded even when another start failed, so the
	// retry begins where this attempt stopped.
	if err := a.Batches.MarkBatchStarted(ctx, req.BatchID, started.ids()); err != nil {
		return BatchPageResult{}, errors.Join(startErr, fmt.Errorf("batch %s: mark started: %w", req.BatchID, err))
	}
	if startErr != nil {
		return BatchPageResult{}, fmt.Errorf("batch %s: start: %w", req.BatchID, startErr)
	}
	res := BatchPageResult{Started: len(rows), State: string(b.State)}
	if len(rows) > 0 {
		res.Last = rows[len(rows)-1].ID
	}
	// Rows an earlier attempt started without recording, and that are
	// final by now, were skipped above: they lie within this page's range
	// (to the end when this is the last page), and are recorded here.
	through := res.Last
	if len(rows) < req.Limit {
		through = ""
	}
	if _, err := a.Batches.MarkFinishedBatchRowsStarted(ctx, req.BatchID, req.After, through); err != nil {
		return BatchPageResult{}, fmt.Errorf("batch %s: mark finished rows started: %w", req.BatchID, err)
	}
	return res, nil
}

// SetBatchState records a campaign's state change and its audit row; the
// same state again changes nothing.
func (a *Activities) SetBatchState(ctx context.Context, c BatchChange) error {
	_, err := a.Batches.SetBatchState(ctx, c.BatchID, store.BatchState(c.To), c.Action, c.Actor, c.Details)
	if errors.Is(err, store.ErrBatchFinal) || errors.Is(err, store.ErrBatchMove) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBatchOver, err)
	}
	if err != nil {
		return fmt.Errorf("batch %s: %s: %w", c.BatchID, c.Action, err)
	}
	return nil
}

// CancelUnstartedRows cancels the campaign's rows not started yet, each
// with its audit row; rows already started go on.
func (a *Activities) CancelUnstartedRows(ctx context.Context, c BatchChange) (int, error) {
	reason := "campaign " + cmp.Or(c.Action, "cancelled") + " by " + c.Actor
	if r, ok := c.Details["reason"].(string); ok && r != "" {
		reason += ": " + r
	}
	n, err := a.Batches.CancelUnstartedBatchRows(ctx, c.BatchID, c.Actor, reason)
	if err != nil {
		return 0, fmt.Errorf("batch %s: cancel unstarted rows: %w", c.BatchID, err)
	}
	return n, nil
}

// startedRows collects the IDs a page started.
type startedRows struct {
	mu   sync.Mutex
	list []string
}

func (s *startedRows) add(id string) {
	s.mu.Lock()
	s.list = append(s.list, id)
	s.mu.Unlock()
}

func (s *startedRows) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.list)
}

func (s *startedRows) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list
}
