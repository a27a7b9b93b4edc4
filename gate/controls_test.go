package gate

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

func usdt(s string) map[string]decimal.Decimal {
	return map[string]decimal.Decimal{"USDT": decimal.RequireFromString(s)}
}

func pay(amount string) payout.Payout {
	return payout.Payout{ID: "po1", ClientID: "42", Asset: "USDT", Network: "tron", Amount: decimal.RequireFromString(amount),
		Address: tron, Status: payout.StatusRequested}
}

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func facts(client, all string) store.Facts {
	return store.Facts{Now: now, Outflow: store.Outflow{Client: decimal.RequireFromString(client), All: decimal.RequireFromString(all)},
		Destination: store.Destination{PaidBefore: true}}
}

func TestDecideHardCapsRefuse(t *testing.T) {
	g := &Gate{Policy: Policy{ClientDailyLimits: usdt("1000"), DailyOutflowLimits: usdt("5000")}}
	_, err := g.decide(pay("100"), facts("900", "900"), FromAPI, false)
	assert.NoError(t, err, "exactly at the cap")
	_, err = g.decide(pay("100.01"), facts("900", "900"), FromAPI, false)
	var r *Refusal
	require.ErrorAs(t, err, &r)
	assert.Equal(t, RefusedClientLimit, r.Kind)
	assert.Equal(t, "client 42's 24 h total would be 1,000.01 USDT, over its daily limit of 1,000", r.Message)
	_, err = g.decide(pay("10"), facts("0", "4995"), FromAPI, false)
	require.ErrorAs(t, err, &r)
	assert.Equal(t, RefusedOutflowLimit, r.Kind)
	assert.Contains(t, r.Fields[payout.FieldAmount][0], "over the daily outflow limit of 5,000")
}

func TestDecideCumulativeApproval(t *testing.T) {
	g := &Gate{Policy: Policy{ApprovalThresholds: usdt("1000")}}
	p, err := g.decide(pay("600"), facts("0", "0"), FromAPI, false)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRequested, p.Status)
	assert.Nil(t, p.WaitingFor)

	p, err = g.decide(pay("600"), facts("600", "600"), FromAPI, false)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusAwaitingApproval, p.Status)
	assert.Equal(t, &payout.Waiting{Kind: payout.WaitApproval, Role: "approver",
		Reason: "client 42's 24 h total would be 1,200 USDT, over the approval threshold of 1,000"}, p.WaitingFor)

	p, err = g.decide(pay("1500"), facts("0", "0"), FromAPI, false)
	require.NoError(t, err)
	assert.Equal(t, "the amount 1,500 USDT is over the approval threshold of 1,000", p.WaitingFor.Reason)

	p, err = g.decide(pay("1500"), facts("0", "0"), FromSchedule, true)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRequested, p.Status, "an approved schedule's runs are approved")
}

func TestDecideDestinations(t *testing.T) {
	fresh := store.Facts{Now: now}
	g := &Gate{Policy: Policy{NewAddressPolicy: NewAddressApprove}}
	p, err := g.decide(pay("5"), fresh, FromAPI, false)
	require.NoError(t, err)
	require.NotNil(t, p.WaitingFor)
	assert.Equal(t, payout.WaitDestination, p.WaitingFor.Kind)
	assert.NotContains(t, p.WaitingFor.Reason, tron, "masked")

	g.Policy.NewAddressPolicy = NewAddressRefuse
	_, err = g.decide(pay("5"), fresh, FromAPI, false)
	var r *Refusal
	require.ErrorAs(t, err, &r)
	assert.Equal(t, RefusedNewAddress, r.Kind)

	g.Policy.NewAddressPolicy = NewAddressAllow
	p, err = g.decide(pay("5"), fresh, FromAPI, false)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRequested, p.Status)

	cooling := store.Facts{Now: now, Destination: store.Destination{Wallet: &store.Wallet{UpdatedAt: now, UsableFrom: now.Add(time.Hour)}}}
	p, err = g.decide(pay("5"), cooling, FromAPI, false)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusAwaitingApproval, p.Status)
	assert.Contains(t, p.WaitingFor.Reason, "WALLET_CHANGE_COOLDOWN")

	other := store.Facts{Now: now, Destination: store.Destination{Wallet: &store.Wallet{Memo: "1", UsableFrom: now.Add(-time.Hour)}}}
	g.Policy.NewAddressPolicy = NewAddressRefuse
	ton := pay("5")
	ton.Memo = "2"
	_, err = g.decide(ton, other, FromAPI, false)
	require.ErrorAs(t, err, &r, "the wallet's address with another memo is another account")
	assert.Equal(t, RefusedNewAddress, r.Kind)
	ton.Memo = "1"
	_, err = g.decide(ton, other, FromAPI, false)
	assert.NoError(t, err, "the wallet itself")
	g.Policy.NewAddressPolicy = NewAddressAllow

	off := now
	disabled := store.Facts{Now: now, Destination: store.Destination{Wallet: &store.Wallet{DisabledAt: &off}}}
	_, err = g.decide(pay("5"), disabled, FromAPI, false)
	require.ErrorAs(t, err, &r)
	assert.Equal(t, RefusedWalletOff, r.Kind)
}

func TestDenylistComparesEVMAddressesWithoutCase(t *testing.T) {
	d := NewDenylist([]string{"0xAbC0000000000000000000000000000000000001", " " + tron + " ", ""})
	assert.True(t, d.Contains("0xabc0000000000000000000000000000000000001"))
	assert.True(t, d.Contains(tron))
	assert.False(t, d.Contains(other))
	assert.False(t, d.Contains(""))
}

func TestDecideBatchAsAWhole(t *testing.T) {
	g := &Gate{Policy: Policy{ApprovalThresholds: usdt("1000"), ClientDailyLimits: usdt("700")}}
	rows := []payout.Payout{pay("300"), pay("300"), pay("300")}
	rows[1].ClientID, rows[2].ClientID = "43", "44"
	f := store.BatchFacts{Now: now, Client: map[[2]string]decimal.Decimal{}, All: map[string]decimal.Decimal{}}
	b, out, err := g.decideBatch(store.Batch{ID: "bt1"}, rows, f)
	require.NoError(t, err)
	assert.Equal(t, store.BatchStarting, cmpState(b.State))
	assert.Len(t, out, 3)

	rows = append(rows, pay("300"), pay("300"))
	b, _, err = g.decideBatch(store.Batch{ID: "bt1"}, rows, f)
	var refused *BatchRefusal
	require.ErrorAs(t, err, &refused, "client 42 would get 900 in 24 h, over its 700 cap")
	assert.Contains(t, refused.Rows, 4, "rows 0 and 3 make 600; row 4 takes it to 900")
	assert.Contains(t, refused.Rows[4][payout.FieldAmount][0], "over its daily limit of 700")

	g.Policy.ClientDailyLimits = nil
	b, _, err = g.decideBatch(store.Batch{ID: "bt1"}, rows, f)
	require.NoError(t, err)
	assert.Equal(t, store.BatchAwaitingApproval, b.State)
	assert.Contains(t, b.WaitingFor.Reason, "the campaign's USDT total 1,500 is over the approval threshold of 1,000")

	g.Policy.NewAddressPolicy = NewAddressApprove
	many := make([]payout.Payout, 100)
	for i := range many {
		many[i] = pay("1")
	}
	b, _, err = g.decideBatch(store.Batch{ID: "bt2"}, many, store.BatchFacts{Now: now, Destinations: make([]store.Destination, 100)})
	require.NoError(t, err)
	assert.Equal(t, store.BatchAwaitingApproval, b.State)
	assert.Contains(t, b.WaitingFor.Reason, "; and 95 more", "a reason per row would be stored on every row")
	assert.Less(t, len(b.WaitingFor.Reason), 2000)
}

// cmpState reads an unset state as the store's default.
func cmpState(s store.BatchState) store.BatchState {
	if s == "" {
		return store.BatchStarting
	}
	return s
}

func TestAmountReadsLikeLimits(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "999": "999", "1000": "1,000", "1250.5": "1,250.5",
		"1234567.891": "1,234,567.891", "-1000": "-1,000"} {
		assert.Equal(t, want, Amount(decimal.RequireFromString(in)), in)
	}
}
