package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

const (
	// batchStartConcurrency bounds the workflow starts in flight for one
	// batch, so a large campaign does not flood Temporal's frontend.
	batchStartConcurrency = 16
	// batchAnswerWithin is how long a request waits for its batch's
	// workflows to start before answering with the progress so far
	// (not_started > 0); starting goes on after the answer. Small batches
	// are usually answered fully started.
	batchAnswerWithin = 2 * time.Second
	// batchStartTimeout bounds starting one batch's workflows.
	batchStartTimeout = 30 * time.Minute
	// batchMarkEvery is how many starts are recorded at a time: progress
	// shows while a large batch starts, and a crash loses little of it.
	batchMarkEvery = 500
)

// startAndAnswer starts the batch's unstarted workflows and answers when
// they are started or batchAnswerWithin has passed, whichever comes first.
// The starting is not tied to the request: a client that gives up does not
// stop it. If the process dies half-way, the rows are stored as requested
// and a repeat of the request (same key), or reconciliation, starts the
// rest.
func (s *server) startAndAnswer(w http.ResponseWriter, r *http.Request, batchID string, replayed bool) {
	done := make(chan error, 1)
	go func() { done <- s.runBatchStart(context.WithoutCancel(r.Context()), batchID, replayed) }()
	timer := time.NewTimer(batchAnswerWithin)
	defer timer.Stop()
	w.Header().Set("Location", "/payouts/batches/"+batchID)
	select {
	case err := <-done:
		if err != nil {
			writeError(w, http.StatusServiceUnavailable,
				"batch recorded but not all payouts started; repeat the request with the same Idempotency-Key", nil)
			return
		}
	case <-timer.C:
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	s.writeBatch(r.Context(), w, batchID, http.StatusAccepted)
}

func (s *server) runBatchStart(ctx context.Context, batchID string, replayed bool) error {
	ctx, cancel := context.WithTimeout(ctx, batchStartTimeout)
	defer cancel()
	begin := time.Now()
	started, pending, err := s.startBatch(ctx, batchID)
	if err != nil {
		s.log.Error("start batch workflows", "batch_id", batchID, "started", started, "pending", pending, "error", err)
		return err
	}
	s.log.Info("batch workflows started", "batch_id", batchID, "started", started, "replayed", replayed,
		"duration_ms", time.Since(begin).Milliseconds())
	return nil
}

// startBatch starts the workflows of the batch's unstarted payouts, at most
// batchStartConcurrency at a time, and records which ones were started. It
// stops at the first failure: Temporal is then most likely unavailable.
func (s *server) startBatch(ctx context.Context, batchID string) (started, pending int, err error) {
	payouts, err := s.Store.BatchPayoutsToStart(ctx, batchID)
	if err != nil {
		return 0, 0, err
	}
	prog := &batchProgress{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(batchStartConcurrency)
	for _, p := range payouts {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			if _, err := s.Starter.Start(gctx, p); err != nil {
				return err
			}
			if chunk := prog.add(p.ID); chunk != nil {
				return s.Store.MarkBatchStarted(ctx, batchID, chunk)
			}
			return nil
		})
	}
	startErr := g.Wait()
	markErr := s.Store.MarkBatchStarted(ctx, batchID, prog.rest())
	if err := errors.Join(startErr, markErr); err != nil {
		return prog.count(), len(payouts), fmt.Errorf("batch %s: %w", batchID, err)
	}
	return prog.count(), len(payouts), nil
}

// batchProgress collects started payout IDs and hands them out in chunks
// for recording.
type batchProgress struct {
	mu       sync.Mutex
	unmarked []string
	started  int
}

// add records a start and returns a chunk to mark once batchMarkEvery
// have gathered.
func (p *batchProgress) add(id string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started++
	p.unmarked = append(p.unmarked, id)
	if len(p.unmarked) < batchMarkEvery {
		return nil
	}
	chunk := p.unmarked
	p.unmarked = nil
	return chunk
}

func (p *batchProgress) rest() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	rest := p.unmarked
	p.unmarked = nil
	return rest
}

func (p *batchProgress) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}
