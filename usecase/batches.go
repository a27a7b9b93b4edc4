package usecase

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/store"
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

// BatchCreated is a campaign a request stored (or found stored).
type BatchCreated struct {
	ID       string
	Replayed bool
}

// CreateBatch checks every row, makes the payouts through the gate, stores
// the batch with them in one transaction and starts their workflows. All
// errors of all rows come back at once, and then nothing is stored. A repeat
// with the same rows resumes the starting; with other rows it is a
// conflict.
func (s *Service) CreateBatch(ctx context.Context, key string, rows []batch.Row, actor string) (BatchCreated, error) {
	valid, batchErrs, rowErrs := batch.Validate(key, rows, s.gate.Policy.Limits)
	fingerprint := batch.Fingerprint(valid)
	if batchErrs.Empty() && len(rowErrs) == 0 {
		existing, found, err := s.storedBatch(ctx, key)
		if err != nil {
			return BatchCreated{}, err
		}
		if found {
			return s.repeatBatch(ctx, existing, fingerprint)
		}
	}
	payouts, err := s.gate.BatchPayouts(ctx, key, valid, rowErrs, actor)
	if err != nil {
		return BatchCreated{}, err
	}
	if !batchErrs.Empty() || len(rowErrs) > 0 {
		msg := "invalid batch"
		if len(rowErrs) > 0 {
			msg = fmt.Sprintf("invalid batch: %d of %d rows have errors", len(rowErrs), len(rows))
		}
		return BatchCreated{}, &InvalidError{Message: msg, Fields: batchErrs, Rows: rowErrs}
	}
	b := store.Batch{ID: batch.ID(s.Installation(), key), IdempotencyKey: key, Fingerprint: fingerprint, RowCount: len(payouts), RequestedBy: actor}
	stored, created, err := s.store.CreateBatch(ctx, b, payouts)
	if err != nil {
		return BatchCreated{}, fmt.Errorf("store batch: %w", err)
	}
	if !created {
		// A concurrent identical request committed first.
		return s.repeatBatch(ctx, stored, fingerprint)
	}
	return BatchCreated{ID: stored.ID}, s.startAndWait(ctx, stored.ID, false)
}

// storedBatch finds the batch of a key: this installation's, or one stored
// before installation IDs existed.
func (s *Service) storedBatch(ctx context.Context, key string) (store.Batch, bool, error) {
	for _, id := range []string{batch.ID(s.Installation(), key), batch.ID("", key)} {
		b, err := s.store.GetBatch(ctx, id)
		if err == nil {
			return b, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Batch{}, false, fmt.Errorf("load batch %s: %w", id, err)
		}
	}
	return store.Batch{}, false, nil
}

// repeatBatch handles a batch key seen before: the same rows resume
// (starting whatever a crash left unstarted), different rows conflict.
func (s *Service) repeatBatch(ctx context.Context, existing store.Batch, fingerprint []byte) (BatchCreated, error) {
	if !bytes.Equal(existing.Fingerprint, fingerprint) {
		return BatchCreated{}, conflict("Idempotency-Key already used for a different batch")
	}
	return BatchCreated{ID: existing.ID, Replayed: true}, s.startAndWait(ctx, existing.ID, true)
}

// startAndWait starts the batch's unstarted workflows and returns when they
// are started or batchAnswerWithin has passed, whichever comes first. The
// starting is not tied to the caller: a client that gives up does not stop
// it. If the process dies half-way, the rows are stored as requested and a
// repeat of the request (same key), or reconciliation, starts the rest.
func (s *Service) startAndWait(ctx context.Context, batchID string, replayed bool) error {
	done := make(chan error, 1)
	go func() { done <- s.runBatchStart(context.WithoutCancel(ctx), batchID, replayed) }()
	timer := time.NewTimer(batchAnswerWithin)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return unavailable("batch recorded but not all payouts started; repeat the request with the same Idempotency-Key", err)
		}
	case <-timer.C:
	}
	return nil
}

func (s *Service) runBatchStart(ctx context.Context, batchID string, replayed bool) error {
	ctx, cancel := context.WithTimeout(ctx, batchStartTimeout)
	defer cancel()
	begin := time.Now()
	started, pending, err := s.startBatch(ctx, batchID)
	if err != nil {
		s.log.ErrorContext(ctx, "start batch workflows", "batch_id", batchID, "started", started, "pending", pending, "error", err)
		return err
	}
	s.log.InfoContext(ctx, "batch workflows started", "batch_id", batchID, "started", started, "replayed", replayed,
		"duration_ms", time.Since(begin).Milliseconds())
	return nil
}

// startBatch starts the workflows of the batch's unstarted payouts, at most
// batchStartConcurrency at a time, and records which ones were started. It
// stops at the first failure: Temporal is then most likely unavailable.
func (s *Service) startBatch(ctx context.Context, batchID string) (started, pending int, err error) {
	payouts, err := s.store.BatchPayoutsToStart(ctx, batchID)
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
			if _, err := s.starter.Start(gctx, p, gate.FromBatch); err != nil {
				return err
			}
			if chunk := prog.add(p.ID); chunk != nil {
				return s.store.MarkBatchStarted(ctx, batchID, chunk)
			}
			return nil
		})
	}
	startErr := g.Wait()
	markErr := s.store.MarkBatchStarted(ctx, batchID, prog.rest())
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
