package activities

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
)

type calcFunds struct {
	scriptedFunds
	debit string
}

func (c *calcFunds) Calc(context.Context, heleket.CalcRequest) (heleket.CalcResult, error) {
	return heleket.CalcResult{MerchantAmount: heleket.NewAmount(decimal.RequireFromString(c.debit))}, nil
}

func TestCheckFunds(t *testing.T) {
	p := payout.Payout{ID: "po-1", Asset: "USDT", Network: "tron", Amount: decimal.RequireFromString("100"), IsSubtract: true}
	tests := map[string]struct {
		funds      Funds
		subtract   bool
		known      bool
		short      bool
		wantReason string
	}{
		"short, fee from the balance": {&calcFunds{scriptedFunds{balances: []heleket.Balances{usdt("50")}}, "101"}, true, true, true,
			"merchant USDT balance 50 is below amount + fee 101"},
		"short, fee from the amount": {&calcFunds{scriptedFunds{balances: []heleket.Balances{usdt("50")}}, "100"}, false, true, true,
			"merchant USDT balance 50 is below amount 100"},
		"covered": {&calcFunds{scriptedFunds{balances: []heleket.Balances{usdt("101")}}, "101"}, true, true, false,
			"merchant USDT balance 101 covers amount + fee 101"},
		"unlisted currency holds nothing": {&calcFunds{scriptedFunds{balances: []heleket.Balances{{}}}, "101"}, true, true, true,
			"merchant USDT balance 0 is below amount + fee 101"},
		"no reader": {nil, true, false, false, "balance unknown: the worker does not read Heleket's balance"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := &Activities{Funds: tt.funds}
			q := p
			q.IsSubtract = tt.subtract
			fc, err := a.CheckFunds(context.Background(), q)
			require.NoError(t, err)
			assert.Equal(t, tt.known, fc.Known)
			assert.Equal(t, tt.short, fc.Short)
			assert.Equal(t, tt.wantReason, fc.Reason)
		})
	}
}

type authFunds struct{ calcFunds }

func (*authFunds) Balance(context.Context) (heleket.Balances, error) {
	return nil, &heleket.AuthError{Endpoint: heleket.PathBalance, HTTPStatus: 401}
}

// A 401 on the balance is an answer ("unknown"), never an error that
// would fail or retry the payout's activity.
func TestCheckFundsBalanceUnauthorizedIsUnknown(t *testing.T) {
	a := &Activities{Funds: &authFunds{calcFunds{debit: "101"}}}
	fc, err := a.CheckFunds(context.Background(), payout.Payout{ID: "po-1", Asset: "USDT", Amount: decimal.NewFromInt(100)})
	require.NoError(t, err)
	assert.False(t, fc.Known)
	assert.Contains(t, fc.Reason, "balance unknown")
	assert.Contains(t, fc.Reason, "HTTP 401")
}

// A transient failure is returned, so the check is retried.
func TestCheckFundsTransientIsRetried(t *testing.T) {
	a := &Activities{Funds: &calcFunds{scriptedFunds{balances: []heleket.Balances{nil}}, "101"}}
	_, err := a.CheckFunds(context.Background(), payout.Payout{ID: "po-1", Asset: "USDT", Amount: decimal.NewFromInt(100)})
	require.Error(t, err)
	assert.True(t, heleket.IsRetryable(err))
}
