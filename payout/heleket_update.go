package payout

import (
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
)

// HeleketUpdate is what the product learns about a payout at Heleket, from a
// webhook, a status poll or the create response.
type HeleketUpdate struct {
	UUID       string              `json:"uuid"`
	Status     string              `json:"status"` // Heleket's word, e.g. "process"
	Final      bool                `json:"final"`
	TxID       string              `json:"txid,omitempty"`
	Commission decimal.NullDecimal `json:"commission"`
	// Source says who passed the update on when it reaches a workflow by
	// signal: empty means a webhook, reconciliation sets its own.
	Source Source `json:"source,omitempty"`
	// Actor and RunID name who passed it on for the audit row:
	// reconciliation and its run.
	Actor string `json:"actor,omitempty"`
	RunID string `json:"run_id,omitempty"`
}

// UpdateFromPayout reads an update from a Heleket payout object.
func UpdateFromPayout(p heleket.Payout) HeleketUpdate {
	return HeleketUpdate{
		UUID:       p.UUID,
		Status:     p.Status,
		Final:      p.Final(),
		TxID:       p.TxID,
		Commission: nullDecimal(p.Commission),
	}
}

// UpdateFromWebhook reads an update from a verified webhook.
func UpdateFromWebhook(w heleket.Webhook) HeleketUpdate {
	return HeleketUpdate{
		UUID:       w.UUID,
		Status:     w.Status,
		Final:      w.Final(),
		TxID:       w.TxID,
		Commission: nullDecimal(w.Commission),
	}
}

// Attributed returns u passed on by the same hands as by: a confirmation
// fetched for a reconciliation's signal is reconciliation's change.
func (u HeleketUpdate) Attributed(by HeleketUpdate) HeleketUpdate {
	u.Actor, u.RunID = by.Actor, by.RunID
	return u
}

// Change turns an update into the status change it implies for a payout.
// ok is false for a status word this product does not know.
func (u HeleketUpdate) Change(payoutID string, source Source) (Change, bool) {
	to, ok := FromHeleket(u.Status, u.Final)
	if !ok {
		return Change{}, false
	}
	c := Change{
		PayoutID:    payoutID,
		To:          to,
		Source:      source,
		HeleketUUID: u.UUID,
		TxID:        u.TxID,
		Commission:  u.Commission,
		Actor:       u.Actor,
		Details:     map[string]any{"heleket_status": u.Status, "is_final": u.Final},
	}
	if u.RunID != "" {
		c.Details["run_id"] = u.RunID
	}
	if to == StatusFailed || to == StatusCancelled {
		c.FailureReason = "heleket status " + u.Status
	}
	return c, true
}

func nullDecimal(a heleket.Amount) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: a.Decimal, Valid: a.Valid}
}
