package gate

import (
	"context"
	"errors"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// destinationReader reads a prospective payout's destination facts
// without a transaction that stores anything (the store).
type destinationReader interface {
	DestinationFacts(ctx context.Context, p payout.Payout, paidBefore bool) (store.Facts, error)
}

// Prospect is a payout a quote describes: the terms the gate would make,
// never stored.
type Prospect struct {
	Payout payout.Payout
	// Hold is why it would wait for a second admin, if it would; the
	// 24 h totals are not read, so a hold for them shows only on creation.
	Hold string
}

// Quote applies to a valid request everything the gate decides without
// storing: the default wallet, the denylist and the destination rules (a
// disabled wallet, a new address under refuse). It reads no 24 h total
// and takes no lock: a quote neither counts toward a cap nor waits for
// one, and its idempotency key (if any) is not looked at. Refusals are
// *Refusal, as from Make; the gate's metrics are left alone, since
// nothing passed the gate.
func (g *Gate) Quote(ctx context.Context, v payout.Valid, requestedBy string) (Prospect, error) {
	v, err := g.withDefaultWallet(ctx, v)
	if err != nil {
		return Prospect{}, err
	}
	p := g.made(v, "", requestedBy)
	if r := g.denyRefusal(p.Address); r != nil {
		return Prospect{}, r
	}
	dr, ok := g.Payouts.(destinationReader)
	if !ok {
		return Prospect{}, errors.New("gate: the payout store cannot read destinations for a quote")
	}
	f, err := dr.DestinationFacts(ctx, p, g.newAddressRule())
	if err != nil {
		return Prospect{}, err
	}
	hold, r := g.destination(p, f)
	if r != nil {
		return Prospect{}, r
	}
	if hold == "" && p.Status == payout.StatusAwaitingApproval {
		hold = awaitingApprovalText
	}
	return Prospect{Payout: p, Hold: hold}, nil
}
