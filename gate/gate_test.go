package gate

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

type wallets map[store.WalletKey]store.Wallet

func (w wallets) DefaultWallet(_ context.Context, clientID, asset, network string) (store.Wallet, error) {
	got, ok := w[store.WalletKey{ClientID: clientID, Asset: asset, Network: network}]
	if !ok {
		return store.Wallet{}, store.ErrNotFound
	}
	return got, nil
}

func (w wallets) DefaultWallets(_ context.Context, keys []store.WalletKey) (map[store.WalletKey]store.Wallet, error) {
	out := map[store.WalletKey]store.Wallet{}
	for _, k := range keys {
		if got, ok := w[k]; ok {
			out[k] = got
		}
	}
	return out, nil
}

const (
	tron  = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"
	inst  = "0123456789abcdef0123456789abcdef"
	other = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"
)

func testGate() *Gate {
	return &Gate{
		Policy: Policy{Installation: inst, ApprovalThresholds: map[string]decimal.Decimal{"USDT": decimal.NewFromInt(1000)},
			FeeFromBalance: true},
		Wallets: wallets{{ClientID: "42", Asset: "USDT", Network: "tron"}: {Address: other, Memo: ""}},
	}
}

func valid(t *testing.T, g *Gate, amount, address string) payout.Valid {
	t.Helper()
	v, r := g.Validate(payout.Request{ClientID: "42", Asset: "USDT", Network: "tron", Amount: amount, Address: address,
		IdempotencyKey: "k1"})
	require.Nil(t, r)
	return v
}

func TestAPIPayoutAppliesThePolicy(t *testing.T) {
	g := testGate()
	p, err := g.APIPayout(context.Background(), valid(t, g, "100", ""), "alice")
	require.NoError(t, err)
	assert.Equal(t, other, p.Address, "the default wallet")
	assert.Equal(t, payout.StatusRequested, p.Status)
	assert.True(t, p.IsSubtract)
	assert.Equal(t, payout.DeriveID(inst, "api", "42", "k1"), p.ID, "this installation's id")

	big, err := g.APIPayout(context.Background(), valid(t, g, "1000.01", tron), "alice")
	require.NoError(t, err)
	assert.Equal(t, payout.StatusAwaitingApproval, big.Status, "above the threshold: four eyes")

	_, err = g.APIPayout(context.Background(), payout.Valid{ClientID: "43", Asset: "USDT", Network: "tron",
		Amount: decimal.NewFromInt(1), IdempotencyKey: "k"}, "alice")
	var refused *Refusal
	require.ErrorAs(t, err, &refused)
	assert.Contains(t, refused.Fields[payout.FieldAddress][0], "no default USDT wallet on tron")
}

func TestBatchPayoutsReportEveryRowAtOnce(t *testing.T) {
	g := testGate()
	rows := []payout.Valid{
		{ClientID: "42", Asset: "USDT", Network: "tron", Amount: decimal.NewFromInt(5)},
		{ClientID: "43", Asset: "USDT", Network: "tron", Amount: decimal.NewFromInt(5)},
		{ClientID: "44", Asset: "USDT", Network: "tron", Amount: decimal.NewFromInt(5), Address: tron},
	}
	rowErrs := batch.RowErrors{}
	out, err := g.BatchPayouts(context.Background(), "key", rows, rowErrs, "bob")
	require.NoError(t, err)
	assert.Equal(t, other, out[0].Address)
	assert.Contains(t, rowErrs, 1, "client 43 has no default wallet")
	assert.Equal(t, batch.PayoutID(inst, "key", "44", 2), out[2].ID)
	assert.Equal(t, payout.OriginBonus, out[2].Origin)
}

func TestScheduledPayoutIsMadeAndAdmitted(t *testing.T) {
	g := testGate()
	sc := store.Schedule{ID: "ps-42-monthly", ClientID: "42", Asset: "USDT", Network: "tron",
		Amount: decimal.NewFromInt(25), NeedsApproval: true, CreatedBy: "alice", IsSubtract: false}
	p, err := g.ScheduledPayout(context.Background(), sc, "po-run")
	require.NoError(t, err)
	assert.Equal(t, other, p.Address)
	assert.Equal(t, payout.StatusAwaitingApproval, p.Status)
	assert.False(t, p.IsSubtract, "the schedule's own fee policy")
	sc.ClientID = "43"
	_, err = g.ScheduledPayout(context.Background(), sc, "po-run-2")
	assert.ErrorIs(t, err, ErrNoDefaultWallet)
}

func TestAdmitRefusesWhatCannotStart(t *testing.T) {
	g := testGate()
	assert.NoError(t, g.Admit(context.Background(), payout.Payout{ID: "po1", Status: payout.StatusRequested}, FromRestart))
	assert.Error(t, g.Admit(context.Background(), payout.Payout{ID: "", Status: payout.StatusRequested}, FromRestart))
	assert.Error(t, g.Admit(context.Background(), payout.Payout{ID: "po1", Status: "bogus"}, FromAPI))
}
