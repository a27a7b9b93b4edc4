package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/views"
)

// Types are the event types an endpoint may subscribe to ("*" is all).
var Types = []string{
	"payout.created", "payout.awaiting_approval", "payout.approved", "payout.awaiting_funds",
	"payout.submitted", "payout.paid", "payout.failed", "payout.rejected", "payout.cancelled",
	"payout.expired", "batch.completed", "reconciliation.discrepancy",
}

// KnownType says whether t is one of Types.
func KnownType(t string) bool { return slices.Contains(Types, t) }

// Body is what an endpoint receives.
type Body struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Batches gives a campaign's summary, for batch.completed.
type Batches interface {
	BatchSummary(ctx context.Context, id string) (store.BatchSummary, error)
}

// Render turns a stored event into the body endpoints receive (and
// GET /events shows): the subject as the API shows it.
func Render(ctx context.Context, b Batches, ev store.OutboundEvent) (Body, error) {
	data, err := renderData(ctx, b, ev)
	if err != nil {
		return Body{}, fmt.Errorf("outbound: render event %s: %w", ev.ID, err)
	}
	return Body{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt.UTC(), Data: data}, nil
}

// Encode is the exact bytes that are signed and sent.
func (b Body) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("outbound: encode event %s: %w", b.ID, err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func renderData(ctx context.Context, b Batches, ev store.OutboundEvent) (json.RawMessage, error) {
	switch {
	case ev.Type == "batch.completed":
		sum, err := b.BatchSummary(ctx, ev.BatchID)
		if err != nil {
			return nil, err
		}
		return json.Marshal(views.NewBatch(sum))
	case ev.Type == "reconciliation.discrepancy":
		var d store.Discrepancy
		if err := decode(ev.Data, &d); err != nil {
			return nil, err
		}
		return json.Marshal(d)
	default:
		return payoutData(ev.Data)
	}
}

// payoutData renders the trigger's snapshot of the payout row (which has
// no address, only address_masked) through the API's view.
func payoutData(raw json.RawMessage) (json.RawMessage, error) {
	var snap struct {
		payout.Payout
		AddressMasked string `json:"address_masked"`
	}
	if err := decode(raw, &snap); err != nil {
		return nil, err
	}
	v := views.NewPayout(snap.Payout)
	v.Address = snap.AddressMasked
	return json.Marshal(v)
}

// decode keeps numbers exact: amounts never pass through float64.
func decode(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode snapshot: %w", err)
	}
	return nil
}

// TypesFor is the events a payout's audit row (a move from -> to; from
// empty for the creation) writes, in order: the rule of migration 00016's
// trigger, for receivers and checks that rebuild a payout's events from
// its trail (a store test holds the two equal).
func TypesFor(from, to payout.Status) []string {
	var out []string
	switch {
	case from == to:
		return nil
	case from == "":
		out = append(out, "payout.created")
	case from == payout.StatusAwaitingApproval && to == payout.StatusRequested:
		out = append(out, "payout.approved")
	}
	switch to {
	case payout.StatusAwaitingApproval, payout.StatusAwaitingFunds, payout.StatusSubmitted, payout.StatusPaid,
		payout.StatusFailed, payout.StatusRejected, payout.StatusCancelled, payout.StatusExpired:
		out = append(out, "payout."+string(to))
	}
	return out
}

// TrailTypes is the events of a whole audit trail, oldest first.
func TrailTypes(trail []payout.Event) []string {
	var out []string
	for _, ev := range trail {
		out = append(out, TypesFor(ev.From, ev.To)...)
	}
	return out
}
