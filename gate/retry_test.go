package gate

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/payout"
)

func failedOriginal() payout.Payout {
	return payout.Payout{ID: "poOriginal", ClientID: "c1", Asset: "USDT", Network: "tron",
		Amount: decimal.RequireFromString("600"), Address: tron, Origin: payout.OriginBonus,
		Status: payout.StatusFailed, IsSubtract: false, RequestedBy: "ivan"}
}

// A retry keeps the original's terms, takes today's policy and its own
// requester, and derives its ID from its key in a scope of its own.
func TestRetryPayoutKeepsTheTermsAndTakesTodaysPolicy(t *testing.T) {
	g := &Gate{Policy: Policy{Installation: inst, FeeFromBalance: true,
		ApprovalThresholds: map[string]decimal.Decimal{"USDT": decimal.RequireFromString("500")}}}
	p, err := g.RetryPayout(failedOriginal(), "k1", "anna")
	require.NoError(t, err)
	assert.Equal(t, payout.DeriveID(inst, "retry", "c1", "k1"), p.ID)
	assert.NotEqual(t, payout.DeriveID(inst, "api", "c1", "k1"), p.ID, "never an API payout's ID")
	assert.Equal(t, "poOriginal", p.RetryOf)
	assert.Equal(t, "k1", p.IdempotencyKey)
	assert.Equal(t, "anna", p.RequestedBy)
	assert.Equal(t, payout.OriginBonus, p.Origin)
	assert.Equal(t, tron, p.Address)
	assert.True(t, p.Amount.Equal(decimal.RequireFromString("600")))
	assert.True(t, p.IsSubtract, "today's fee policy")
	assert.Equal(t, payout.StatusAwaitingApproval, p.Status, "today's approval threshold")
}

// The original's terms are checked again: a limit lowered since refuses
// the retry with the amount's field error.
func TestRetryPayoutChecksTodaysLimits(t *testing.T) {
	g := &Gate{Policy: Policy{Installation: inst,
		Limits: payout.Limits{Max: map[string]decimal.Decimal{"USDT": decimal.RequireFromString("100")}}}}
	_, err := g.RetryPayout(failedOriginal(), "k1", "anna")
	var refused *Refusal
	require.ErrorAs(t, err, &refused)
	assert.NotEmpty(t, refused.Fields[payout.FieldAmount])
	_, err = g.RetryPayout(failedOriginal(), "", "anna")
	require.ErrorAs(t, err, &refused)
	assert.NotEmpty(t, refused.Fields[payout.FieldIdempotencyKey])
}

// A campaign row's retry key is the same for the same call and row, and
// differs for another call, row or campaign.
func TestRowRetryKeyIsDeterministicPerCallAndRow(t *testing.T) {
	k := RowRetryKey("b1", "call", "p1")
	assert.Equal(t, k, RowRetryKey("b1", "call", "p1"))
	for _, other := range []string{RowRetryKey("b1", "call2", "p1"), RowRetryKey("b1", "call", "p2"), RowRetryKey("b2", "call", "p1")} {
		assert.NotEqual(t, k, other)
	}
	assert.Empty(t, payout.ValidateIdempotencyKey(k), "a valid key whatever the call's key")
}
