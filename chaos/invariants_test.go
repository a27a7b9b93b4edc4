package chaos

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/payout"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// settled is a two-payout run where everything went right: one paid
// (10 + fee 1), one forced to fail and refunded.
func settled() Snapshot {
	plan := Plan{Items: []Item{
		{Index: 0, ID: "po-paid", Asset: "USDT"},
		{Index: 1, ID: "po-failed", Asset: "USDT", WantFail: true},
	}}
	done := time.Now()
	ours := map[string]payout.Payout{
		"po-paid": {ID: "po-paid", Asset: "USDT", Amount: d("10"), IsSubtract: true, Status: payout.StatusPaid,
			HeleketUUID: "u1", TxID: "tx1", Commission: decimal.NewNullDecimal(d("1")), FinalizedAt: &done},
		"po-failed": {ID: "po-failed", Asset: "USDT", Amount: d("20"), IsSubtract: true, Status: payout.StatusFailed,
			HeleketUUID: "u2", Commission: decimal.NewNullDecimal(d("1")), FinalizedAt: &done},
	}
	final := heleket.Flag{Value: true, Valid: true}
	theirs := []heleket.Payout{
		{UUID: "u1", OrderID: "po-paid", Amount: heleket.NewAmount(d("10")), Status: "paid", IsFinal: final,
			TxID: "tx1", Commission: heleket.NewAmount(d("1"))},
		{UUID: "u2", OrderID: "po-failed", Amount: heleket.NewAmount(d("20")), Status: "fail", IsFinal: final,
			Commission: heleket.NewAmount(d("1"))},
	}
	return Snapshot{Plan: plan, Ours: ours, Rows: 2, Theirs: theirs, Stats: sandbox.Stats{Creates: 2},
		Events: map[string][]payout.Event{
			"po-paid":   events(payout.StatusSubmitted, payout.StatusProcessing, payout.StatusPaid),
			"po-failed": events(payout.StatusSubmitted, payout.StatusFailed),
		},
		Initial: map[string]decimal.Decimal{"USDT": d("100")}, Balances: map[string]decimal.Decimal{"USDT": d("89")}}
}

// events is a trail from creation through the given statuses.
func events(to ...payout.Status) []payout.Event {
	out := []payout.Event{{ID: 1, To: payout.StatusRequested, Source: payout.SourceAPI}}
	from := payout.StatusRequested
	for i, st := range to {
		out = append(out, payout.Event{ID: int64(i + 2), From: from, To: st, Source: payout.SourceWorkflow})
		from = st
	}
	return out
}

func TestCheckPassesASettledRun(t *testing.T) {
	r := Check(settled())
	assert.Empty(t, r.Violations)
	assert.Equal(t, 1, r.Paid)
	assert.Equal(t, 1, r.Failed)
	assert.Equal(t, 7, r.AuditRows)
}

func TestCheckFindsEachBreach(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(*Snapshot)
		dups  int
		lost  int
	}{
		{"paid twice at Heleket", func(s *Snapshot) {
			s.Theirs = append(s.Theirs, heleket.Payout{UUID: "u3", OrderID: "po-paid"})
			s.Stats.Creates = 3
		}, 1, 0},
		{"unknown order_id at Heleket", func(s *Snapshot) { s.Theirs = append(s.Theirs, heleket.Payout{UUID: "u3", OrderID: "x"}) }, 1, 0},
		{"never reached Heleket", func(s *Snapshot) { s.Theirs = s.Theirs[:1] }, 0, 1},
		{"lost in Postgres", func(s *Snapshot) { delete(s.Ours, "po-paid"); s.Rows = 1 }, 0, 1},
		{"extra row in Postgres", func(s *Snapshot) { s.Rows = 3 }, 1, 0},
		{"not final", func(s *Snapshot) { p := s.Ours["po-paid"]; p.Status = payout.StatusProcessing; s.Ours["po-paid"] = p }, 0, 0},
		{"final without finalized_at", func(s *Snapshot) { p := s.Ours["po-paid"]; p.FinalizedAt = nil; s.Ours["po-paid"] = p }, 0, 0},
		{"balance not refunded", func(s *Snapshot) { s.Balances["USDT"] = d("68") }, 0, 0},
		{"commission not recorded", func(s *Snapshot) {
			p := s.Ours["po-paid"]
			p.Commission = decimal.NullDecimal{}
			s.Ours["po-paid"] = p
		}, 0, 0},
		{"audit row repeated", func(s *Snapshot) {
			e := s.Events["po-paid"]
			s.Events["po-paid"] = append(e[:2:2], e[1:]...)
		}, 0, 0},
		{"audit goes backwards", func(s *Snapshot) {
			s.Events["po-paid"] = events(payout.StatusProcessing, payout.StatusSubmitted, payout.StatusPaid)
		}, 0, 0},
		{"audit ends elsewhere", func(s *Snapshot) { s.Events["po-paid"] = events(payout.StatusSubmitted) }, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settled()
			tt.spoil(&s)
			r := Check(s)
			require.NotEmpty(t, r.Violations)
			assert.Equal(t, tt.dups, r.Duplicates, "duplicates")
			assert.Equal(t, tt.lost, r.Lost, "lost")
		})
	}
}

func TestWalkTrailSkipsAttentionRows(t *testing.T) {
	e := events(payout.StatusSubmitted)
	e = append(e, payout.Event{ID: 9, From: payout.StatusSubmitted, To: payout.StatusSubmitted,
		Details: map[string]any{"needs_attention": true}})
	assert.Empty(t, walkTrail(e, payout.StatusSubmitted))
}

func TestWalkTrailAcceptsAPayoutCreatedHeld(t *testing.T) {
	held := []payout.Event{{ID: 1, To: payout.StatusAwaitingApproval, Source: payout.SourceAPI},
		{ID: 2, From: payout.StatusAwaitingApproval, To: payout.StatusRequested, Source: payout.SourceAdmin},
		{ID: 3, From: payout.StatusRequested, To: payout.StatusSubmitted, Source: payout.SourceWorkflow}}
	assert.Empty(t, walkTrail(held, payout.StatusSubmitted))
	held[0].To = payout.StatusSubmitted
	assert.Equal(t, "does not start with the creation row", walkTrail(held, payout.StatusSubmitted))
}

const testInstallation = "0123456789abcdef0123456789abcdef"

func TestNewPlanIsDeterministic(t *testing.T) {
	a, b := NewPlan(testInstallation, 42, 100), NewPlan(testInstallation, 42, 100)
	require.Equal(t, a, b)
	fails, dups := 0, 0
	for _, it := range a.Items {
		assert.True(t, payout.ValidAddress(it.Network, it.Address), "address %s on %s", it.Address, it.Network)
		assert.Equal(t, payout.DeriveID(testInstallation, "api", it.ClientID, it.Key), it.ID)
		if it.WantFail {
			fails++
		}
		if it.Dup != DupNone {
			dups++
		}
	}
	assert.Equal(t, 5, fails)
	assert.Positive(t, dups)
	assert.NotEqual(t, a.Items[0].Key, NewPlan(testInstallation, 43, 1).Items[0].Key)
}
