package payout

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryRowIsAllowedAndNothingElse(t *testing.T) {
	rows := Transitions()
	for _, r := range rows {
		assert.True(t, CanTransition(r.From, r.To), "%s -> %s", r.From, r.To)
		assert.NotEmpty(t, r.Why, "%s -> %s", r.From, r.To)
		assert.Greater(t, r.To.Rank(), r.From.Rank(), "%s -> %s goes up in rank", r.From, r.To)
	}
	allowed := 0
	for _, from := range Statuses {
		for _, to := range Statuses {
			if CanTransition(from, to) {
				allowed++
			}
		}
	}
	assert.Equal(t, len(rows), allowed)
}

func TestFinalMeansNoRowLeaves(t *testing.T) {
	leaves := map[Status]bool{}
	for _, r := range Transitions() {
		leaves[r.From] = true
	}
	for _, s := range Statuses {
		assert.Equal(t, !leaves[s], s.Final(), s)
		assert.Equal(t, s.Final(), s.Rank() == RankFinal, s)
	}
}

// The ranks are stored in the database and read by the chaos checks, so a
// row that changes them must show up here.
func TestRanksAreLongestWays(t *testing.T) {
	want := map[Status]int{
		StatusAwaitingApproval: 0, StatusRequested: 1, StatusAwaitingFunds: 2, StatusSubmitted: 3, StatusProcessing: 4,
		StatusVerifying: 5, StatusPaid: 9, StatusFailed: 9, StatusCancelled: 9, StatusRejected: 9, StatusExpired: 9,
	}
	for _, s := range Statuses {
		assert.Equal(t, want[s], s.Rank(), s)
	}
}

func TestTransitionsIsACopy(t *testing.T) {
	rows := Transitions()
	rows[0].To = StatusPaid
	assert.False(t, CanTransition(StatusAwaitingApproval, StatusPaid))
	assert.NotEqual(t, StatusPaid, Transitions()[0].To)
}

func TestDeriveRefusesBadTables(t *testing.T) {
	a, b, c := Status("a"), Status("b"), Status("c")
	abc := []Status{a, b, c}
	tests := map[string]table{
		"cycle":        {[]Transition{{a, b, "x"}, {b, a, "x"}, {b, c, "x"}}, abc, "cycle"},
		"self":         {[]Transition{{a, a, "x"}, {a, b, "x"}, {b, c, "x"}}, abc, "into itself"},
		"unknown":      {[]Transition{{a, "z", "x"}}, abc, "unknown status"},
		"no reason":    {[]Transition{{a, b, ""}, {b, c, "x"}}, abc, "no reason"},
		"two lines":    {[]Transition{{a, b, "x\ny"}, {b, c, "x"}}, abc, "one line"},
		"twice":        {[]Transition{{a, b, "x"}, {a, b, "y"}, {b, c, "x"}}, abc, "listed twice"},
		"orphan":       {[]Transition{{a, b, "x"}}, abc, "c: in no row"},
		"rank too far": chain(RankFinal + 1),
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := derive(tt.rows, tt.statuses)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := derive(chain(RankFinal).rows, chain(RankFinal).statuses)
	assert.NoError(t, err, "a chain whose last open status ranks just below RankFinal")
}

type table struct {
	rows     []Transition
	statuses []Status
	want     string // in the error
}

// chain is s0 -> s1 -> ... -> sn, sn final, so s(n-1) ranks n-1.
func chain(n int) table {
	statuses := []Status{"s0"}
	var rows []Transition
	for i := 1; i <= n; i++ {
		statuses = append(statuses, Status(fmt.Sprint("s", i)))
		rows = append(rows, Transition{statuses[i-1], statuses[i], "next"})
	}
	return table{rows, statuses, "reaches RankFinal"}
}
