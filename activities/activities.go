// Package activities holds everything the payout workflows do to the
// world: Postgres writes and Heleket calls. Each activity is idempotent so
// Temporal may retry it freely.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/shopspring/decimal"

	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// Heleket is the part of the Heleket client the activities use.
type Heleket interface {
	CreatePayout(ctx context.Context, req heleket.CreatePayoutRequest) (heleket.Payout, error)
	PayoutInfo(ctx context.Context, req heleket.InfoRequest) (heleket.Payout, error)
}

// Store is the part of the store the activities use.
type Store interface {
	CreatePayout(ctx context.Context, p payout.Payout, actor string, details map[string]any) (payout.Payout, bool, error)
	Apply(ctx context.Context, c payout.Change) (payout.Payout, bool, error)
	MarkAttention(ctx context.Context, a store.Attention) (bool, error)
}

// Activities bundles the dependencies; register a pointer to it.
type Activities struct {
	Store       Store
	Heleket     Heleket
	CallbackURL string
	Logger      *slog.Logger
	Schedules   ScheduleStore // recurring payouts; see scheduled.go
	// Gate makes a scheduled run's payout: the one payout gate.
	Gate ScheduleGate
	// Batches and Starter let a campaign's workflow start its rows.
	Batches BatchStore
	Starter PayoutStarter
	// Alerts is the alerts outbox (alerts.go), posted by the worker's
	// dispatcher; nil only in unit tests.
	Alerts Alerter
	// Funds reads Heleket's balance, to tell a lack of funds from other
	// refusals (funds.go); nil leaves every refusal a rejection.
	Funds Funds

	operatorAlerts spacing
}

// ErrTypeRejected marks a Heleket refusal of a create: the payout ends
// rejected, and retrying would only repeat the refusal.
const ErrTypeRejected = "HeleketRejected"

// ErrTypeRateLimited marks a 429 with Retry-After: retried after the delay
// Heleket asked for.
const ErrTypeRateLimited = "HeleketRateLimited"

// Persist makes sure the payout row exists and returns it as stored. The
// API usually wrote it already; schedules and resumed runs rely on this.
func (a *Activities) Persist(ctx context.Context, p payout.Payout) (payout.Payout, error) {
	// The store counts the payout as started if this call created it.
	stored, _, err := a.Store.CreatePayout(ctx, asRequested(p), p.RequestedBy, map[string]any{"via": "workflow"})
	if err != nil {
		return payout.Payout{}, fmt.Errorf("persist payout %s: %w", p.ID, err)
	}
	return stored, nil
}

// asRequested is the payout as it was first requested: a run that continues
// as new carries a later status and Heleket's facts, which only ever reach
// the database through guarded transitions.
func asRequested(p payout.Payout) payout.Payout {
	if p.Status != payout.StatusAwaitingApproval {
		p.Status = payout.StatusRequested
	}
	p.HeleketUUID, p.TxID, p.FailureReason = "", "", ""
	p.Commission = decimal.NullDecimal{}
	return p
}

// Record applies a status change with its audit row. A change the
// transition table refuses (duplicate, stale, backwards) is not an error:
// the result says it was not applied and carries the current record.
func (a *Activities) Record(ctx context.Context, c payout.Change) (payout.Payout, error) {
	apply := a.Store.Apply
	if alertOf, ok := alertingChange(c); ok {
		// A rejection's alert is written with it, once: only the call that
		// makes the change raises it.
		apply = func(ctx context.Context, c payout.Change) (payout.Payout, bool, error) {
			return a.applyRaising(ctx, c, alertOf)
		}
	}
	p, applied, err := apply(ctx, c)
	if err != nil {
		return payout.Payout{}, fmt.Errorf("record %s -> %s: %w", c.PayoutID, c.To, err)
	}
	if applied && p.Status.Final() {
		// applied is true once per payout: a retried Record finds the
		// status already set, so the payout is counted exactly once.
		metrics.PayoutFinished(p)
	}
	return p, nil
}

// Submit creates the payout at Heleket with order_id = payout ID, so a retry
// after a lost response returns the payout Heleket already has instead of
// sending the money twice.
func (a *Activities) Submit(ctx context.Context, p payout.Payout) (payout.HeleketUpdate, error) {
	if a.Gate != nil {
		var refused *gate.Refusal
		if err := a.Gate.Recheck(ctx, p); errors.As(err, &refused) {
			// Rejected as Heleket's refusals are, before anything is sent.
			return payout.HeleketUpdate{}, temporal.NewNonRetryableApplicationError(
				"refused at send time by a money control: "+refused.Message, ErrTypeRejected, err)
		} else if err != nil {
			return payout.HeleketUpdate{}, fmt.Errorf("recheck payout %s: %w", p.ID, err)
		}
	}
	req := heleket.CreatePayoutRequest{
		Amount:      p.Amount.String(),
		Currency:    p.Asset,
		OrderID:     p.ID,
		Address:     p.Address,
		IsSubtract:  p.IsSubtract,
		Network:     p.Network,
		URLCallback: a.CallbackURL,
		Memo:        p.Memo,
	}
	hp, err := a.Heleket.CreatePayout(ctx, req)
	if err != nil {
		a.afterFailure(ctx, p.ID, attempt(ctx), err)
		return payout.HeleketUpdate{}, classify("create payout "+p.ID, err)
	}
	if err := a.checkTerms(ctx, p, hp); err != nil {
		return payout.HeleketUpdate{}, err
	}
	if err := unknownStatus(ctx, a.Alerts, p.ID, hp.Status); err != nil {
		return payout.HeleketUpdate{}, err
	}
	return payout.UpdateFromPayout(hp), nil
}

// Status asks Heleket for the payout's current state: the truth that
// confirms a webhook or replaces a missing one.
func (a *Activities) Status(ctx context.Context, payoutID string) (payout.HeleketUpdate, error) {
	hp, err := a.Heleket.PayoutInfo(ctx, heleket.InfoRequest{OrderID: payoutID})
	if err != nil {
		// The workflow counts these attempts and flags the payout itself.
		a.afterFailure(ctx, payoutID, 0, err)
		// Heleket has this payout (the create succeeded), so any refusal here
		// is transient from our side: keep asking, with backoff.
		return payout.HeleketUpdate{}, retryable("payout info "+payoutID, err)
	}
	if err := unknownStatus(ctx, a.Alerts, payoutID, hp.Status); err != nil {
		return payout.HeleketUpdate{}, err
	}
	return payout.UpdateFromPayout(hp), nil
}

// classify turns Heleket errors into Temporal errors: refusals stop the
// retries, everything else (transport, 5xx, 429, and auth, which is our
// configuration and must not reject the payout) is retried with backoff.
func classify(what string, err error) error {
	var (
		verr *heleket.ValidationError
		rerr *heleket.RefusalError
	)
	switch {
	case errors.As(err, &verr):
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s: Heleket refused the request: %s", what, validationSummary(verr)),
			ErrTypeRejected, err, verr.Errors)
	case errors.As(err, &rerr):
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s: Heleket refused the payout: %s", what, rerr.Message),
			ErrTypeRejected, err, Refusal{Business: true, Message: rerr.Message})
	}
	return retryable(what, err)
}

func retryable(what string, err error) error {
	if after, ok := heleket.RetryAfter(err); ok && after > 0 {
		return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s: rate limited", what), ErrTypeRateLimited,
			temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: after})
	}
	return fmt.Errorf("%s: %w", what, err)
}

func validationSummary(v *heleket.ValidationError) string {
	if len(v.Errors) == 0 {
		return "validation failed"
	}
	return v.Error()
}
