package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
)

// Funds is the part of the Heleket client that tells whether the merchant
// balance covers a payout.
type Funds interface {
	Balance(ctx context.Context) (heleket.Balances, error)
	Calc(ctx context.Context, req heleket.CalcRequest) (heleket.CalcResult, error)
}

// Refusal is the detail of an ErrTypeRejected error for a business
// refusal (a message, not field errors): only such a refusal can be a lack
// of funds, which the workflow then checks with CheckFunds.
type Refusal struct {
	Business bool   `json:"business"`
	Message  string `json:"message,omitempty"`
}

// FundsCheck compares the merchant balance with what the payout debits.
// Known is false when the balance could not be read (a key the balance
// route refuses): then nothing is concluded about funds.
type FundsCheck struct {
	Known   bool   `json:"known"`
	Short   bool   `json:"short"`
	Balance string `json:"balance,omitempty"`
	Needed  string `json:"needed,omitempty"`
	Reason  string `json:"reason"`
}

// CheckFunds reads the merchant balance in the payout's asset and what the
// payout would debit from it, as Heleket computes it (calc's
// merchant_amount: amount + fee when the fee is the merchant's, the amount
// alone otherwise), rather than trusting the wording of a refusal.
// Transient failures are returned for a retry; an AuthError on either call
// is "balance unknown", an answer, never an error that fails the payout.
func (a *Activities) CheckFunds(ctx context.Context, p payout.Payout) (FundsCheck, error) {
	if a.Funds == nil {
		return FundsCheck{Reason: "balance unknown: the worker does not read Heleket's balance"}, nil
	}
	calc, err := a.Funds.Calc(ctx, heleket.CalcRequest{Amount: p.Amount.String(), Currency: p.Asset,
		Address: p.Address, Network: p.Network, IsSubtract: p.IsSubtract})
	if unknown, ok := balanceUnknown(err); ok {
		return unknown, nil
	}
	if err != nil {
		return FundsCheck{}, fmt.Errorf("funds of payout %s: calc: %w", p.ID, err)
	}
	balances, err := a.Funds.Balance(ctx)
	if unknown, ok := balanceUnknown(err); ok {
		return unknown, nil
	}
	if err != nil {
		return FundsCheck{}, fmt.Errorf("funds of payout %s: balance: %w", p.ID, err)
	}
	balance, _ := balances.Of(p.Asset) // a currency Heleket does not list holds nothing
	return fundsCheck(p, balance, calc.MerchantAmount.Decimal), nil
}

// balanceUnknown: an answer that leaves the balance unknown for good (our
// credentials, or a request Heleket will not price), as opposed to one a
// retry may get past.
func balanceUnknown(err error) (FundsCheck, bool) {
	var (
		ae *heleket.AuthError
		ve *heleket.ValidationError
		re *heleket.RefusalError
	)
	switch {
	case err == nil:
		return FundsCheck{}, false
	case errors.As(err, &ae):
		return FundsCheck{Reason: fmt.Sprintf("balance unknown: Heleket refuses our key on %s (HTTP %d)", ae.Endpoint, ae.HTTPStatus)}, true
	case errors.As(err, &ve), errors.As(err, &re):
		return FundsCheck{Reason: "balance unknown: Heleket will not price the payout: " + err.Error()}, true
	}
	return FundsCheck{}, false
}

func fundsCheck(p payout.Payout, balance, needed decimal.Decimal) FundsCheck {
	what := "amount + fee"
	if !p.IsSubtract {
		what = "amount" // the fee comes out of the amount
	}
	fc := FundsCheck{Known: true, Short: balance.LessThan(needed), Balance: balance.String(), Needed: needed.String()}
	if fc.Short {
		fc.Reason = fmt.Sprintf("merchant %s balance %s is below %s %s", p.Asset, balance, what, needed)
	} else {
		fc.Reason = fmt.Sprintf("merchant %s balance %s covers %s %s", p.Asset, balance, what, needed)
	}
	return fc
}

// FundsHold puts a payout in awaiting_funds.
type FundsHold struct {
	PayoutID string     `json:"payout_id"`
	Check    FundsCheck `json:"check"`
	// Refusal is what Heleket said to the create.
	Refusal string `json:"refusal"`
}

// HoldForFunds moves the payout to awaiting_funds, saying what it waits
// for, with its audit row. It is a Record: the change's alert (one per
// payout, raised with the change) is Record's to raise.
func (a *Activities) HoldForFunds(ctx context.Context, h FundsHold) (payout.Payout, error) {
	return a.Record(ctx, payout.Change{PayoutID: h.PayoutID, To: payout.StatusAwaitingFunds,
		Source: payout.SourceWorkflow, Actor: "workflow",
		WaitingFor: &payout.Waiting{Kind: payout.WaitFunds, Reason: h.Check.Reason, Role: "operator"},
		Details: map[string]any{"reason": h.Check.Reason, "balance": h.Check.Balance, "needed": h.Check.Needed,
			"heleket_refusal": h.Refusal}})
}
