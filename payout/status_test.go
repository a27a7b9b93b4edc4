package payout

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// allowed is the full transition table, written out so that a change to the
// ranking shows up here as a reviewed diff.
var allowed = map[Status][]Status{
	StatusAwaitingApproval: {StatusRequested, StatusRejected, StatusExpired, StatusCancelled},
	StatusRequested: {StatusSubmitted, StatusProcessing, StatusVerifying,
		StatusPaid, StatusFailed, StatusCancelled, StatusRejected, StatusAwaitingFunds},
	StatusAwaitingFunds: {StatusSubmitted, StatusProcessing, StatusVerifying,
		StatusPaid, StatusFailed, StatusCancelled, StatusRejected},
	StatusSubmitted:  {StatusProcessing, StatusVerifying, StatusPaid, StatusFailed, StatusCancelled},
	StatusProcessing: {StatusVerifying, StatusPaid, StatusFailed, StatusCancelled},
	StatusVerifying:  {StatusPaid, StatusFailed, StatusCancelled},
}

func TestCanTransition(t *testing.T) {
	for _, from := range Statuses {
		for _, to := range Statuses {
			want := false
			for _, s := range allowed[from] {
				want = want || s == to
			}
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				assert.Equal(t, want, CanTransition(from, to))
			})
		}
	}
}

func TestCanTransitionUnknown(t *testing.T) {
	tests := []struct{ from, to Status }{
		{"", StatusSubmitted},
		{StatusRequested, ""},
		{"bogus", StatusPaid},
		{StatusRequested, "bogus"},
		{"PAID", StatusPaid},
	}
	for _, tt := range tests {
		assert.False(t, CanTransition(tt.from, tt.to), "%q -> %q", tt.from, tt.to)
	}
}

func TestFinal(t *testing.T) {
	final := map[Status]bool{
		StatusPaid: true, StatusFailed: true, StatusCancelled: true, StatusRejected: true, StatusExpired: true,
	}
	for _, s := range Statuses {
		assert.True(t, s.Valid(), s)
		assert.Equal(t, final[s], s.Final(), s)
	}
	assert.False(t, Status("bogus").Valid())
}

func TestRankForwardOnly(t *testing.T) {
	for i := 1; i < len(Statuses) && !Statuses[i].Final(); i++ {
		assert.Greater(t, Statuses[i].Rank(), Statuses[i-1].Rank())
	}
	for _, s := range Statuses {
		assert.False(t, CanTransition(s, s), "no self transition: %s", s)
	}
}

func TestFromHeleket(t *testing.T) {
	tests := []struct {
		status string
		final  bool
		want   Status
		ok     bool
	}{
		{"process", false, StatusProcessing, true},
		{"check", false, StatusVerifying, true},
		{"paid", true, StatusPaid, true},
		{"PAID", true, StatusPaid, true},
		{"fail", true, StatusFailed, true},
		{"fail", false, StatusVerifying, true},
		{"system_fail", true, StatusFailed, true},
		{"system_fail", false, StatusVerifying, true},
		{"cancel", true, StatusCancelled, true},
		{"", false, "", false},
		{"refund", true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			got, ok := FromHeleket(tt.status, tt.final)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOriginValid(t *testing.T) {
	tests := map[Origin]bool{
		OriginManual: true, OriginScheduled: true, OriginBonus: true,
		"": false, "Manual": false, "cron": false,
	}
	for o, want := range tests {
		assert.Equal(t, want, o.Valid(), o)
	}
}
