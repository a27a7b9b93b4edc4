package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

// ReconcileOpen checks every non-final payout created before the run began
// against Heleket's payout info, whether or not the window's history listed
// it: an old payout can be stuck, and a lost start leaves nothing at
// Heleket to list.
func (r *Reconciler) ReconcileOpen(ctx context.Context, b reconcile.Batch) (reconcile.BatchResult, error) {
	return r.walk(ctx, b, func(after string, limit int) ([]payout.Payout, error) {
		return r.Store.OpenPayouts(ctx, b.Window.To, after, limit)
	}, func(p payout.Payout, c *reconcile.Counts) error {
		return r.checkOpen(ctx, b.RunID, b.Window.To, p, c)
	})
}

// ReconcileFailed raises a payout_failed discrepancy, with its alert, for
// every payout that ended failed since the window began. The discrepancy
// row makes the alert once-only whoever recorded the failure.
func (r *Reconciler) ReconcileFailed(ctx context.Context, b reconcile.Batch) (reconcile.BatchResult, error) {
	return r.walk(ctx, b, func(after string, limit int) ([]payout.Payout, error) {
		return r.Store.FailedSince(ctx, b.Window.From, after, limit)
	}, func(p payout.Payout, c *reconcile.Counts) error {
		c.FailedPayouts++
		return r.raise(ctx, c, store.Discrepancy{RunID: b.RunID, OrderID: p.ID, PayoutID: p.ID,
			Kind: reconcile.KindPayoutFailed, Ours: oursSnapshot(p), Reason: p.FailureReason})
	})
}

// walk pages through payouts in ID order, heartbeating after each one with
// the position and totals, until the phase is done or the batch's time is up.
func (r *Reconciler) walk(ctx context.Context, b reconcile.Batch,
	fetch func(after string, limit int) ([]payout.Payout, error),
	each func(payout.Payout, *reconcile.Counts) error,
) (reconcile.BatchResult, error) {
	b = resumed(ctx, b)
	s := r.settings()
	deadline := time.Now().Add(s.BatchTime)
	for {
		list, err := fetch(b.Cursor, s.BatchSize)
		if err != nil {
			return reconcile.BatchResult{}, err
		}
		for _, p := range list {
			if err := each(p, &b.Counts); err != nil {
				return reconcile.BatchResult{}, fmt.Errorf("reconcile payout %s: %w", p.ID, err)
			}
			b.Cursor = p.ID
			activity.RecordHeartbeat(ctx, b)
		}
		done := len(list) < s.BatchSize
		if done || time.Now().After(deadline) {
			return reconcile.BatchResult{Cursor: b.Cursor, Done: done, Counts: b.Counts}, r.progress(ctx, b)
		}
	}
}

func (r *Reconciler) checkOpen(ctx context.Context, runID string, now time.Time, p payout.Payout, c *reconcile.Counts) error {
	c.OpenPayouts++
	theirs, err := r.info(ctx, p.ID)
	if err != nil {
		return err
	}
	v := reconcile.Compare(p, theirs)
	repaired := false
	switch v.Class {
	case reconcile.ClassMatched, reconcile.ClassUnsubmitted:
		repaired, err = r.ensureFollowed(ctx, p, v.Class, c)
	case reconcile.ClassAhead:
		c.Add(v.Class)
		p, err = r.moveForward(ctx, runID, p, theirs.Update)
		repaired = true
	default:
		c.Add(v.Class)
		if err := unknownStatus(ctx, r.Alerts, p.ID, theirs.Update.Status); err != nil {
			return err
		}
		kind, _ := reconcile.KindOf(v.Class)
		err = r.raise(ctx, c, store.Discrepancy{RunID: runID, OrderID: p.ID, PayoutID: p.ID, Kind: kind,
			Ours: oursSnapshot(p), Theirs: theirsSnapshot(theirs), Reason: v.Reason})
	}
	if err != nil {
		return err
	}
	// A payout this run just moved or restarted gets a run's time to show
	// progress before it counts as stuck.
	if !repaired && reconcile.Stuck(p, now, r.settings().StuckAfter) {
		return r.stuck(ctx, runID, now, p, c)
	}
	return nil
}

// info asks Heleket about one payout; Found is false when Heleket does not
// know the order_id.
func (r *Reconciler) info(ctx context.Context, id string) (reconcile.Theirs, error) {
	hp, err := r.Heleket.PayoutInfo(ctx, heleket.InfoRequest{OrderID: id})
	if unknownAtHeleket(err) {
		return reconcile.Theirs{}, nil
	}
	if err != nil {
		return reconcile.Theirs{}, heleketErr("payout info "+id, err)
	}
	return theirsOf(hp), nil
}

// unknownAtHeleket recognises the refusal Heleket gives for an order_id it
// does not have ("Not found payout").
func unknownAtHeleket(err error) bool {
	var refusal *heleket.RefusalError
	return errors.As(err, &refusal) && strings.Contains(strings.ToLower(refusal.Message), "not found")
}

// ensureFollowed restarts the workflow of an open payout nobody follows
// any more: a lost start, or a workflow terminated by hand. Starting is
// idempotent (same workflow ID, Heleket deduplicates on order_id), so a
// race with the API's own start is harmless.
func (r *Reconciler) ensureFollowed(ctx context.Context, p payout.Payout, class reconcile.Class, c *reconcile.Counts) (resumed bool, err error) {
	running, err := r.Workflows.Running(ctx, p.ID)
	if err != nil {
		return false, err
	}
	switch {
	case running && class == reconcile.ClassUnsubmitted:
		c.InFlight++
		return false, nil
	case running:
		c.Matched++
		return false, nil
	}
	if err := r.Workflows.Resume(ctx, p); err != nil {
		return false, err
	}
	c.Resumed++
	r.log().Info("payout workflow resumed by reconciliation", "payout_id", p.ID, "status", p.Status)
	return true, nil
}

// reconcileActor is the actor of the audit rows reconciliation causes.
const reconcileActor = "reconciliation"

// moveForward brings a payout to the status Heleket reports. A running
// workflow gets the status as a signal and records it itself; otherwise
// it is recorded here, through the same guarded transition and audit row,
// and a workflow is restarted to follow a payout that is still open.
func (r *Reconciler) moveForward(ctx context.Context, runID string, p payout.Payout, upd payout.HeleketUpdate) (payout.Payout, error) {
	signalled := upd
	// The workflow's audit row names reconciliation and the run.
	signalled.Source, signalled.Actor, signalled.RunID = payout.SourceReconcile, reconcileActor, runID
	delivered, err := r.Workflows.SendUpdate(ctx, p.ID, signalled)
	if err != nil || delivered {
		return p, err
	}
	change, ok := upd.Change(p.ID, payout.SourceReconcile)
	if !ok {
		if err := unknownStatus(ctx, r.Alerts, p.ID, upd.Status); err != nil {
			return p, err
		}
		return p, fmt.Errorf("unknown Heleket status %q", upd.Status)
	}
	change.Actor = reconcileActor
	change.Details["run_id"] = runID
	stored, applied, err := r.Store.Apply(ctx, change)
	if err != nil {
		return p, err
	}
	if applied {
		r.log().Info("payout moved forward by reconciliation", "payout_id", p.ID, "from", p.Status, "to", stored.Status, "run_id", runID)
	}
	if !stored.Status.Final() {
		return stored, r.Workflows.Resume(ctx, stored)
	}
	return stored, nil
}

// stuck flags a payout open for longer than PAYOUT_STUCK_AFTER: the
// needs_attention column (with its audit row), the workflow's search
// attribute, a discrepancy and an alert.
func (r *Reconciler) stuck(ctx context.Context, runID string, now time.Time, p payout.Payout, c *reconcile.Counts) error {
	c.Stuck++
	reason := fmt.Sprintf("%s for %s", p.Status, now.Sub(p.CreatedAt).Round(time.Minute))
	d, created, err := r.Store.AddDiscrepancy(ctx, store.Discrepancy{RunID: runID, OrderID: p.ID, PayoutID: p.ID,
		Kind: reconcile.KindStuck, Ours: oursSnapshot(p), Reason: reason})
	if err != nil {
		return err
	}
	// A stuck discrepancy an operator resolved (accepted, say) is not
	// raised again, and neither is the flag it cleared.
	if d.ResolvedAt != nil {
		return nil
	}
	if err := r.Store.SetNeedsAttention(ctx, p.ID, true, payout.SourceReconcile, "stuck: "+reason); err != nil {
		return err
	}
	if created {
		c.NewDiscrepancies++
		if _, err := r.Workflows.FlagAttention(ctx, p.ID, "stuck: "+reason); err != nil {
			return err
		}
	}
	return r.alertIfDue(ctx, d, c)
}

// raise records a discrepancy once and alerts about it.
func (r *Reconciler) raise(ctx context.Context, c *reconcile.Counts, d store.Discrepancy) error {
	stored, created, err := r.Store.AddDiscrepancy(ctx, d)
	if err != nil {
		return err
	}
	if created {
		c.NewDiscrepancies++
		r.log().Warn("reconciliation discrepancy", "kind", d.Kind, "order_id", d.OrderID, "run_id", d.RunID, "reason", d.Reason)
	}
	return r.alertIfDue(ctx, stored, c)
}

// alertIfDue raises the alert of an open discrepancy not alerted yet into
// the outbox, which posts it until the channel takes it; alerted_at says it
// was raised. Raising is once-only per kind and order_id, like the
// discrepancy, so a retried batch raises nothing twice.
func (r *Reconciler) alertIfDue(ctx context.Context, d store.Discrepancy, c *reconcile.Counts) error {
	if r.Alerts == nil || d.AlertedAt != nil || d.ResolvedAt != nil {
		return nil
	}
	raised, err := r.Alerts.RaiseAlert(ctx, alert.Alert{Key: string(d.Kind) + ":" + d.OrderID, Message: messageOf(d)})
	if err != nil {
		return fmt.Errorf("raise %s alert: %w", d.Kind, err)
	}
	if raised {
		c.AlertsSent++
	}
	return r.Store.MarkAlerted(ctx, d.ID)
}

func messageOf(d store.Discrepancy) alert.Message {
	var text string
	switch d.Kind {
	case reconcile.KindOrphan:
		text = fmt.Sprintf("Heleket payout %s is unknown here (%s)", d.OrderID, describe(d.Theirs))
	case reconcile.KindStuck:
		text = fmt.Sprintf("Payout %s is stuck: %s (%s)", d.OrderID, d.Reason, describe(d.Ours))
	case reconcile.KindPayoutFailed:
		text = fmt.Sprintf("Payout %s failed: %s (%s)", d.OrderID, firstNonEmpty(d.Reason, "no reason given"), describe(d.Ours))
	default:
		text = fmt.Sprintf("Payout %s: %s: %s", d.OrderID, strings.ReplaceAll(string(d.Kind), "_", " "), d.Reason)
	}
	return alert.Message{Text: ":rotating_light: " + text, Kind: string(d.Kind), OrderID: d.OrderID, PayoutID: d.PayoutID,
		RunID: d.RunID, Reason: d.Reason, Ours: d.Ours, Theirs: d.Theirs, At: d.DetectedAt}
}

// describe renders a snapshot as "USDT 100.5 on tron, paid".
func describe(snap map[string]any) string {
	get := func(k string) string { s, _ := snap[k].(string); return s }
	return fmt.Sprintf("%s %s on %s, %s", firstNonEmpty(get("asset"), get("currency")), get("amount"), get("network"), get("status"))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// oursSnapshot is a payout as a discrepancy shows it: no address, amounts
// as strings.
func oursSnapshot(p payout.Payout) map[string]any {
	m := map[string]any{
		"status": string(p.Status), "asset": p.Asset, "network": p.Network, "amount": p.Amount.String(),
		"client_id": p.ClientID, "created_at": p.CreatedAt.UTC().Format(time.RFC3339),
	}
	if p.HeleketUUID != "" {
		m["heleket_uuid"] = p.HeleketUUID
	}
	if p.TxID != "" {
		m["txid"] = p.TxID
	}
	return m
}

func theirsSnapshot(t reconcile.Theirs) map[string]any {
	if !t.Found {
		return map[string]any{"found": false}
	}
	m := map[string]any{
		"uuid": t.Update.UUID, "status": t.Update.Status, "is_final": t.Update.Final,
		"currency": t.Currency, "network": t.Network,
	}
	if t.Amount.Valid {
		m["amount"] = t.Amount.Decimal.String()
	}
	if t.Update.TxID != "" {
		m["txid"] = t.Update.TxID
	}
	return m
}
