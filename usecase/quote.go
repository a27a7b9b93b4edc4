package usecase

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
)

// FeeCalculator asks Heleket what a payout would cost (heleket.Client.Calc).
type FeeCalculator interface {
	Calc(ctx context.Context, req heleket.CalcRequest) (heleket.CalcResult, error)
}

// Quote is what a payout request would cost and deliver.
type Quote struct {
	ClientID, Asset, Network string
	Amount                   decimal.Decimal
	// Commission is Heleket's fee; RecipientAmount what arrives.
	Commission      decimal.Decimal
	RecipientAmount decimal.Decimal
	// MerchantAmount is what leaves the merchant balance.
	MerchantAmount decimal.Decimal
	IsSubtract     bool
	// Hold says why the payout would wait for a second admin ("" if not).
	Hold string
}

// UpstreamError: Heleket failed or answered nonsense; nothing was changed.
type UpstreamError struct {
	Message string
	Err     error
}

func (e *UpstreamError) Error() string { return e.Message + ": " + e.Err.Error() }

func (e *UpstreamError) Unwrap() error { return e.Err }

// quoteKey stands in for the idempotency key a quote does not need: the
// request passes the same validation as a create, and no key is looked
// up or taken.
const quoteKey = "fee-quote"

// QuotePayout answers what a payout request would cost, through the same
// validation and destination rules as CreatePayout, without storing,
// starting or auditing anything, and without counting toward any cap.
func (s *Service) QuotePayout(ctx context.Context, req payout.Request, actor access.Actor) (Quote, error) {
	if err := access.Need(actor, access.Initiator, "quote a payout"); err != nil {
		return Quote{}, err
	}
	if s.fees == nil {
		return Quote{}, &UpstreamError{Message: "this server has no Heleket connection configured; no quote",
			Err: errors.New("no fee calculator")}
	}
	if req.IdempotencyKey == "" {
		req.IdempotencyKey = quoteKey
	}
	v, refusal := s.gate.Validate(req)
	if refusal != nil {
		return Quote{}, invalid(refusal.Message, refusal.Fields)
	}
	pr, err := s.gate.Quote(ctx, v, actor.Name)
	var refused *gate.Refusal
	if errors.As(err, &refused) {
		return Quote{}, invalid(refused.Message, refused.Fields)
	}
	if err != nil {
		return Quote{}, err
	}
	p := pr.Payout
	res, err := s.fees.Calc(ctx, heleket.CalcRequest{Amount: p.Amount.String(), Currency: p.Asset,
		Address: p.Address, Network: p.Network, IsSubtract: p.IsSubtract})
	if err != nil {
		s.log.WarnContext(ctx, "fee quote: Heleket calc failed", "client_id", p.ClientID, "asset", p.Asset, "error", err)
		return Quote{}, &UpstreamError{Message: "Heleket could not quote the fee; nothing was changed, try again", Err: err}
	}
	if err := saneQuote(p.Amount, res); err != nil {
		s.log.ErrorContext(ctx, "fee quote: Heleket answered an impossible quote", "client_id", p.ClientID,
			"asset", p.Asset, "error", err)
		return Quote{}, &UpstreamError{Message: "Heleket's fee quote does not add up; nothing was changed", Err: err}
	}
	return Quote{ClientID: p.ClientID, Asset: p.Asset, Network: p.Network, Amount: p.Amount,
		Commission: res.Commission.Decimal, RecipientAmount: res.PayoutAmount.Decimal,
		MerchantAmount: res.MerchantAmount.Decimal, IsSubtract: p.IsSubtract, Hold: pr.Hold}, nil
}

// saneQuote refuses a calc answer no fee can produce: a missing or
// negative amount, a recipient receiving more than was sent.
func saneQuote(amount decimal.Decimal, r heleket.CalcResult) error {
	switch {
	case !r.Commission.Valid || !r.PayoutAmount.Valid:
		return errors.New("commission or payout_amount missing")
	case r.Commission.IsNegative():
		return fmt.Errorf("negative commission %s", r.Commission.String())
	case r.PayoutAmount.IsNegative():
		return fmt.Errorf("negative payout_amount %s", r.PayoutAmount.String())
	case r.PayoutAmount.GreaterThan(amount):
		return fmt.Errorf("payout_amount %s exceeds the amount %s", r.PayoutAmount.String(), amount.String())
	case r.MerchantAmount.Valid && r.MerchantAmount.IsNegative():
		return fmt.Errorf("negative merchant_amount %s", r.MerchantAmount.String())
	}
	return nil
}
