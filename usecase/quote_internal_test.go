package usecase

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"github.com/heleket-payouts/payouts/heleket"
)

func TestSaneQuoteRefusesImpossibleAnswers(t *testing.T) {
	d := decimal.RequireFromString
	amount := d("10")
	calc := func(fee, payout string) heleket.CalcResult {
		return heleket.CalcResult{Commission: heleket.NewAmount(d(fee)), PayoutAmount: heleket.NewAmount(d(payout)),
			MerchantAmount: heleket.NewAmount(d("11"))}
	}
	assert.NoError(t, saneQuote(amount, calc("1", "10")))
	assert.NoError(t, saneQuote(amount, calc("0", "9")))
	assert.ErrorContains(t, saneQuote(amount, calc("-1", "10")), "negative commission")
	assert.ErrorContains(t, saneQuote(amount, calc("1", "10.01")), "exceeds the amount")
	assert.ErrorContains(t, saneQuote(amount, calc("1", "-2")), "negative payout_amount")
	assert.ErrorContains(t, saneQuote(amount, heleket.CalcResult{}), "missing")
}
