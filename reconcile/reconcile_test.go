package reconcile

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"github.com/heleket-payouts/payouts/payout"
)

func ours(status payout.Status) payout.Payout {
	return payout.Payout{ID: "po1", Asset: "USDT", Network: "tron", Amount: decimal.RequireFromString("100.5"), Status: status}
}

func at(status string, final bool) Theirs {
	return Theirs{Found: true, Update: payout.HeleketUpdate{UUID: "u1", Status: status, Final: final},
		Currency: "usdt", Network: "TRON", Amount: decimal.NewNullDecimal(decimal.RequireFromString("100.50000000"))}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name   string
		ours   payout.Status
		theirs Theirs
		want   Class
		target payout.Status
	}{
		{"both paid", payout.StatusPaid, at("paid", true), ClassMatched, ""},
		{"both in process", payout.StatusProcessing, at("process", false), ClassMatched, ""},
		{"paid at Heleket, processing here", payout.StatusProcessing, at("paid", true), ClassAhead, payout.StatusPaid},
		{"paid at Heleket, requested here", payout.StatusRequested, at("paid", true), ClassAhead, payout.StatusPaid},
		{"check at Heleket, submitted here", payout.StatusSubmitted, at("check", false), ClassAhead, payout.StatusVerifying},
		{"final fail at Heleket", payout.StatusVerifying, at("fail", true), ClassAhead, payout.StatusFailed},
		{"Heleket lags behind a webhook", payout.StatusVerifying, at("process", false), ClassMatched, ""},
		{"cancelled here, paid there", payout.StatusCancelled, at("paid", true), ClassStatusMismatch, ""},
		{"paid here, failed there", payout.StatusPaid, at("fail", true), ClassStatusMismatch, ""},
		{"rejected here, processing there", payout.StatusRejected, at("process", false), ClassStatusMismatch, ""},
		{"awaiting approval yet at Heleket", payout.StatusAwaitingApproval, at("process", false), ClassStatusMismatch, ""},
		{"unknown Heleket status", payout.StatusProcessing, at("refunded", true), ClassStatusMismatch, ""},
		{"requested, unknown there", payout.StatusRequested, Theirs{}, ClassUnsubmitted, ""},
		{"awaiting approval, unknown there", payout.StatusAwaitingApproval, Theirs{}, ClassUnsubmitted, ""},
		{"awaiting funds, unknown there", payout.StatusAwaitingFunds, Theirs{}, ClassUnsubmitted, ""},
		{"awaiting funds, paid at Heleket", payout.StatusAwaitingFunds, at("paid", true), ClassAhead, payout.StatusPaid},
		{"rejected, unknown there", payout.StatusRejected, Theirs{}, ClassMatched, ""},
		{"cancelled before submit", payout.StatusCancelled, Theirs{}, ClassMatched, ""},
		{"submitted, unknown there", payout.StatusSubmitted, Theirs{}, ClassMissing, ""},
		{"paid, unknown there", payout.StatusPaid, Theirs{}, ClassMissing, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Compare(ours(tt.ours), tt.theirs)
			assert.Equal(t, tt.want, v.Class)
			assert.Equal(t, tt.target, v.Target)
			if tt.want != ClassMatched && tt.want != ClassAhead && tt.want != ClassUnsubmitted {
				assert.NotEmpty(t, v.Reason, "a discrepancy says why")
			}
		})
	}
}

func TestCompareTerms(t *testing.T) {
	for name, mutate := range map[string]func(*Theirs){
		"amount":  func(th *Theirs) { th.Amount = decimal.NewNullDecimal(decimal.RequireFromString("100.49")) },
		"asset":   func(th *Theirs) { th.Currency = "USDC" },
		"network": func(th *Theirs) { th.Network = "bsc" },
	} {
		t.Run(name, func(t *testing.T) {
			th := at("paid", true)
			mutate(&th)
			v := Compare(ours(payout.StatusPaid), th)
			assert.Equal(t, ClassTermsMismatch, v.Class)
			assert.Contains(t, v.Reason, name)
		})
	}
}

func TestStuck(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	p := ours(payout.StatusProcessing)
	p.CreatedAt = now.Add(-2 * time.Hour)
	assert.True(t, Stuck(p, now, time.Hour))
	assert.False(t, Stuck(p, now, 3*time.Hour))
	p.Status = payout.StatusPaid
	assert.False(t, Stuck(p, now, time.Hour), "final payouts are never stuck")
	p.Status = payout.StatusAwaitingApproval
	assert.False(t, Stuck(p, now, time.Hour), "approval has its own expiry")
	p.Status = payout.StatusAwaitingFunds
	assert.False(t, Stuck(p, now, time.Hour), "waiting for funds has PAYOUT_FUNDS_WAIT")
}

func TestEveryDiscrepancyClassHasAKind(t *testing.T) {
	for _, c := range []Class{ClassOrphan, ClassMissing, ClassStatusMismatch, ClassTermsMismatch} {
		k, ok := KindOf(c)
		assert.True(t, ok, c)
		assert.Contains(t, Kinds, k)
	}
	for _, c := range []Class{ClassMatched, ClassAhead, ClassUnsubmitted} {
		_, ok := KindOf(c)
		assert.False(t, ok, c)
	}
}

func TestCountsAdd(t *testing.T) {
	var c Counts
	for _, cl := range []Class{ClassMatched, ClassMatched, ClassAhead, ClassOrphan, ClassMissing, ClassStatusMismatch, ClassTermsMismatch} {
		c.Add(cl)
	}
	assert.Equal(t, Counts{Matched: 2, HeleketAhead: 1, Orphans: 1, MissingAtHeleket: 1, StatusMismatches: 1, TermsMismatches: 1}, c)
}
