package usecase

import (
	"context"
	"errors"
	"fmt"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// RetryPayout makes a new payout retrying a failed, rejected or expired
// one, through the gate and its money controls like any payout, and
// starts it. The key is the retry's own Idempotency-Key: the same key for
// the same payout answers the same retry; the key already used for
// another payout of the client, or a second retry of a payout already
// retried, is a conflict.
func (s *Service) RetryPayout(ctx context.Context, originalID, key string, actor access.Actor) (Created, error) {
	if err := access.Need(actor, access.Initiator, "retry a payout"); err != nil {
		return Created{}, err
	}
	if fields := payout.ValidateIdempotencyKey(key); !fields.Empty() {
		return Created{}, invalid("invalid retry request", fields)
	}
	original, err := s.store.GetPayout(ctx, originalID)
	if errors.Is(err, store.ErrNotFound) {
		return Created{}, notFound("payout")
	}
	if err != nil {
		return Created{}, err
	}
	return s.retry(ctx, original, key, actor, nil)
}

// retry is RetryPayout of a loaded original; details add to (or
// override) the audit row of the new payout's creation. A campaign's
// retries say via batch_retry: the call is one admin action, not one per
// row (see the admin-clicks query).
func (s *Service) retry(ctx context.Context, original payout.Payout, key string, actor access.Actor, details map[string]any) (Created, error) {
	if !original.Status.Retryable() {
		return Created{}, conflict(fmt.Sprintf("payout %s is %s; only failed, rejected or expired payouts are retried",
			original.ID, original.Status))
	}
	p, err := s.gate.RetryPayout(original, key, actor.Name)
	var refused *gate.Refusal
	if errors.As(err, &refused) {
		return Created{}, invalid(refused.Message, refused.Fields)
	}
	if err != nil {
		return Created{}, err
	}
	audit := map[string]any{"via": "api", "retry_of": original.ID}
	for k, v := range details {
		audit[k] = v
	}
	stored, created, err := s.gate.Make(ctx, p, gate.FromRetry, actor.Name, audit, false)
	if err != nil {
		return Created{}, s.retryRefused(ctx, p, err)
	}
	if !created && stored.RetryOf != original.ID {
		return Created{}, conflict("Idempotency-Key already used for a different payout request")
	}
	if !stored.Status.Final() {
		if err := s.start(ctx, stored, gate.FromRetry); err != nil {
			return Created{}, err
		}
	}
	s.log.InfoContext(ctx, "payout retried", "payout_id", stored.ID, "retry_of", original.ID, "created", created)
	return Created{Payout: stored, Replayed: !created}, nil
}

// retryRefused turns what the gate or the store refused into the use
// case's errors.
func (s *Service) retryRefused(ctx context.Context, p payout.Payout, err error) error {
	var (
		refused *gate.Refusal
		again   *store.RetriedError
		final   *store.NotRetryableError
	)
	switch {
	case errors.As(err, &refused):
		s.log.WarnContext(ctx, "retry refused by a money control", "client_id", p.ClientID, "asset", p.Asset,
			"retry_of", p.RetryOf, "kind", refused.Kind, "reason", refused.Message)
		return invalid(refused.Message, refused.Fields)
	case errors.As(err, &again):
		return &ConflictError{Reason: again.Error(), RetriedAs: again.RetriedAs}
	case errors.As(err, &final):
		return conflict(final.Error())
	}
	return err
}

// BatchRetried is what retrying a campaign's failed rows did.
type BatchRetried struct {
	BatchID string `json:"batch_id"`
	// Retried: rows this call retried; Replayed: rows an earlier call
	// with the same key retried (shown again); Skipped: rows retried
	// before under another key, left alone; Refused: rows the gate refused.
	Retried  int          `json:"retried"`
	Replayed int          `json:"replayed"`
	Skipped  int          `json:"skipped"`
	Refused  []RowRefusal `json:"refused"`
	// Payouts are the retries of this call's key, new and replayed.
	Payouts []RetryLink `json:"payouts"`
}

// RetryLink is one row's retry.
type RetryLink struct {
	RetryOf string        `json:"retry_of"`
	ID      string        `json:"id"`
	Status  payout.Status `json:"status"`
}

// RowRefusal is a row the gate refused to retry, and why.
type RowRefusal struct {
	PayoutID string             `json:"payout_id"`
	Error    string             `json:"error"`
	Fields   payout.FieldErrors `json:"fields,omitempty"`
}

// retryPage is how many of a campaign's rows one read of the store
// brings; each row is then retried on its own through the gate.
const retryPage = 500

// RetryFailedBatchRows retries every failed, rejected or expired row of a
// campaign not retried yet, each as a single payout through the gate (the
// same path as RetryPayout), under a key derived from the call's key and
// the row, so a repeated call retries nothing twice and answers the same
// payouts. A row the gate refuses is reported and the others go on.
func (s *Service) RetryFailedBatchRows(ctx context.Context, batchID, key string, actor access.Actor) (BatchRetried, error) {
	if err := access.Need(actor, access.Initiator, "retry a campaign's failed payouts"); err != nil {
		return BatchRetried{}, err
	}
	if fields := payout.ValidateIdempotencyKey(key); !fields.Empty() {
		return BatchRetried{}, invalid("invalid retry request", fields)
	}
	if _, err := s.store.GetBatch(ctx, batchID); errors.Is(err, store.ErrNotFound) {
		return BatchRetried{}, notFound("batch")
	} else if err != nil {
		return BatchRetried{}, fmt.Errorf("load batch %s: %w", batchID, err)
	}
	out := BatchRetried{BatchID: batchID, Refused: []RowRefusal{}, Payouts: []RetryLink{}}
	after := ""
	for {
		rows, err := s.store.BatchRowsToRetry(ctx, batchID, after, retryPage)
		if err != nil {
			return BatchRetried{}, err
		}
		for _, p := range rows {
			if err := s.retryRow(ctx, batchID, key, p, actor, &out); err != nil {
				return BatchRetried{}, err
			}
		}
		if len(rows) < retryPage {
			return out, nil
		}
		after = rows[len(rows)-1].ID
	}
}

func (s *Service) retryRow(ctx context.Context, batchID, key string, p payout.Payout, actor access.Actor, out *BatchRetried) error {
	rowKey := gate.RowRetryKey(batchID, key, p.ID)
	if p.RetriedAs != "" && p.RetriedAs != payout.DeriveID(s.Installation(), "retry", p.ClientID, rowKey) {
		out.Skipped++
		return nil
	}
	r, err := s.retry(ctx, p, rowKey, actor, map[string]any{"via": "batch_retry", "retry_batch_id": batchID})
	var (
		bad   *InvalidError
		taken *ConflictError
	)
	switch {
	case errors.As(err, &bad):
		out.Refused = append(out.Refused, RowRefusal{PayoutID: p.ID, Error: bad.Message, Fields: bad.Fields})
		return nil
	case errors.As(err, &taken) && taken.RetriedAs != "":
		out.Skipped++ // retried meanwhile by another request
		return nil
	case err != nil:
		return fmt.Errorf("retry row payout %s of batch %s: %w", p.ID, batchID, err)
	}
	if r.Replayed {
		out.Replayed++
	} else {
		out.Retried++
	}
	out.Payouts = append(out.Payouts, RetryLink{RetryOf: p.ID, ID: r.Payout.ID, Status: r.Payout.Status})
	return nil
}
