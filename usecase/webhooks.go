package usecase

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/starter"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// WebhookOutcome is what ingesting a verified webhook did.
type WebhookOutcome string

const (
	WebhookDelivered WebhookOutcome = "ok"        // the payout's workflow has it
	WebhookDuplicate WebhookOutcome = "duplicate" // handled before
	WebhookUnknown   WebhookOutcome = "unknown"   // no payout has its order_id
	WebhookIgnored   WebhookOutcome = "ignored"   // not a payout webhook: kept, never applied
)

// Webhook is a verified webhook to ingest.
type Webhook struct {
	Raw  []byte
	Hook heleket.Webhook
	// DedupeKey identifies the delivery (heleket.WebhookDedupeKey).
	DedupeKey []byte
	// NotPayout: another kind (payment, wallet, refund), kept as evidence
	// but never linked to or applied to a payout.
	NotPayout bool
	// Note is recorded on the inbox row of an ignored webhook.
	Note string
}

// Ingested says what happened to a webhook, for the answer and the logs.
type Ingested struct {
	Outcome  WebhookOutcome
	InboxID  int64
	PayoutID string
}

// IngestWebhook stores a verified webhook in the inbox, wakes the payout's
// workflow (which confirms anything final with Heleket's API) and marks
// the row processed. An error means Heleket should resend: the row is
// stored, and handling a resend twice is harmless (the workflow drops a
// repeated status). A mark that fails is an error too, or the row would
// look unhandled for ever.
func (s *Service) IngestWebhook(ctx context.Context, w Webhook) (Ingested, error) {
	got, err := s.store.InsertWebhook(ctx, store.InboxEntry{Body: w.Raw, Verified: true, OrderID: w.Hook.OrderID,
		HeleketUUID: w.Hook.UUID, Status: w.Hook.Status, DedupeKey: w.DedupeKey, NotPayout: w.NotPayout})
	if err != nil {
		return Ingested{}, unavailable("webhook not stored", err)
	}
	in := Ingested{InboxID: got.ID, PayoutID: got.PayoutID}
	if got.Duplicate && got.Processed {
		in.Outcome = WebhookDuplicate
		return in, nil
	}
	note := ""
	switch {
	case w.NotPayout:
		in.Outcome, note = WebhookIgnored, w.Note
	case got.PayoutID == "":
		in.Outcome, note = WebhookUnknown, "unknown order_id"
	default:
		in.Outcome = WebhookDelivered
		if err := s.deliver(ctx, got.PayoutID, payout.UpdateFromWebhook(w.Hook)); err != nil {
			return in, err
		}
	}
	if err := s.store.MarkWebhookProcessed(ctx, got.ID, note); err != nil {
		return in, unavailable("webhook handled but not marked processed", fmt.Errorf("inbox row %d: %w", got.ID, err))
	}
	return in, nil
}

// deliver wakes the payout's workflow. A workflow that has already
// finished needs nothing more: its payout is final, and reconciliation
// covers the rest.
func (s *Service) deliver(ctx context.Context, payoutID string, upd payout.HeleketUpdate) error {
	err := s.temporal.SignalWorkflow(ctx, payout.WorkflowID(payoutID), "", workflows.SignalHeleketUpdate, upd)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		s.log.InfoContext(ctx, "webhook for a payout whose workflow is closed", "payout_id", payoutID)
		return nil
	}
	if err != nil {
		return unavailable("could not wake the payout's workflow", err)
	}
	return nil
}

// Triggered names the reconciliation run a trigger started or joined.
type Triggered = starter.Triggered

// TriggerReconciliation runs reconciliation now, or joins the run in
// progress: triggering twice never makes two runs work at once.
// The run is recorded as triggered by "admin:<name>".
func (s *Service) TriggerReconciliation(ctx context.Context, actor access.Actor) (Triggered, error) {
	if err := access.Need(actor, access.Operator, "trigger reconciliation"); err != nil {
		return Triggered{}, err
	}
	t, err := s.recon.Trigger(ctx, "admin:"+actor.Name)
	if err != nil {
		return Triggered{}, unavailable("could not start reconciliation; retry", err)
	}
	s.log.InfoContext(ctx, "reconciliation triggered", "run_id", t.RunID, "workflow_id", t.WorkflowID, "joined", t.Joined, "actor", actor.Name)
	return t, nil
}
