package store_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// finalRank is the literal payouts_guard compares ranks with to mean "final".
const finalRank = 9

// The database's status rule must be payout's transition table, pair for
// pair and both ways: every row is allowed by payout_can_transition, and
// nothing it allows is missing from the table, for names the program does
// not know as well.
func TestDatabaseStatusRuleIsTheTransitionTable(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	names := candidateNames(t, s)
	assert.Empty(t, ruleMismatches(t, s, payout.CanTransition, names))
	for _, row := range payout.Transitions() {
		assert.True(t, canTransitionSQL(t, s, row.From, row.To), "%s -> %s: %s", row.From, row.To, row.Why)
	}
}

// The comparison itself must see a disagreement in either direction, or the
// test above would pass against any database: a rule without one row of the
// table, and with that row reversed (never a row: ranks go up).
func TestRuleMismatchesSeeEitherDirection(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	row := payout.Transitions()[0]
	wrong := func(from, to payout.Status) bool {
		switch {
		case from == row.From && to == row.To:
			return false
		case from == row.To && to == row.From:
			return true
		}
		return payout.CanTransition(from, to)
	}
	want := []string{
		fmt.Sprintf("%q -> %q: database true, Go false", row.From, row.To),
		fmt.Sprintf("%q -> %q: database false, Go true", row.To, row.From),
	}
	assert.ElementsMatch(t, want, ruleMismatches(t, s, wrong, candidateNames(t, s)))
}

func TestDatabaseRanksAndFinalsAreTheTable(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	assert.Equal(t, payout.RankFinal, finalRank)
	for _, name := range candidateNames(t, s) {
		var rank *int
		require.NoError(t, s.Pool().QueryRow(context.Background(),
			`SELECT payout_status_rank($1)`, string(name)).Scan(&rank))
		if !name.Valid() {
			assert.Nil(t, rank, "%q is no status to the database either", name)
			continue
		}
		require.NotNil(t, rank, name)
		assert.Equal(t, name.Rank(), *rank, "rank of %s", name)
		assert.Equal(t, name.Final(), *rank == finalRank, "final: %s", name)
	}
}

// The payouts.status column accepts exactly the statuses the program knows.
func TestDatabaseStatusesAreTheProgramsStatuses(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	assert.ElementsMatch(t, payout.Statuses, columnStatuses(t, s))
}

// The index reconciliation and the open-payout queries read is predicated
// on the final statuses by name; a final status it missed would be walked
// as open forever.
func TestOpenPayoutsIndexLeavesOutTheFinalStatuses(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	var pred string
	require.NoError(t, s.Pool().QueryRow(context.Background(), `
		SELECT pg_get_expr(indpred, indrelid) FROM pg_index
		WHERE indexrelid = 'payouts_open_idx'::regclass`).Scan(&pred))
	var final []payout.Status
	for _, st := range payout.Statuses {
		if st.Final() {
			final = append(final, st)
		}
	}
	assert.ElementsMatch(t, final, quotedStatuses(pred), pred)
}

// candidateNames are the statuses of both sides and a few that neither
// should know, so that a pair only one side allows cannot hide.
func candidateNames(t *testing.T, s *store.Store) []payout.Status {
	t.Helper()
	names := append(slices.Clone(payout.Statuses), "", "bogus", "PAID", "Requested")
	for _, c := range columnStatuses(t, s) {
		if !slices.Contains(names, c) {
			names = append(names, c)
		}
	}
	return names
}

var quoted = regexp.MustCompile(`'([^']*)'::text`)

func columnStatuses(t *testing.T, s *store.Store) []payout.Status {
	t.Helper()
	var def string
	require.NoError(t, s.Pool().QueryRow(context.Background(), `
		SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
		WHERE c.conrelid = 'payouts'::regclass AND c.contype = 'c' AND a.attname = 'status'`).Scan(&def))
	out := quotedStatuses(def)
	require.NotEmpty(t, out, "no statuses in %s", def)
	return out
}

// quotedStatuses reads the names of a constraint or predicate Postgres
// prints as ARRAY['paid'::text, ...].
func quotedStatuses(expr string) []payout.Status {
	var out []payout.Status
	for _, m := range quoted.FindAllStringSubmatch(expr, -1) {
		out = append(out, payout.Status(m[1]))
	}
	return out
}

// ruleMismatches asks payout_can_transition about every ordered pair of
// names in one query and lists where rule answers otherwise.
func ruleMismatches(t *testing.T, s *store.Store, rule func(from, to payout.Status) bool, names []payout.Status) []string {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(), `
		SELECT f, t, payout_can_transition(f, t)
		FROM unnest($1::text[]) AS f, unnest($1::text[]) AS t ORDER BY f, t`, texts(names))
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	pairs := 0
	for rows.Next() {
		var from, to string
		var sql *bool // NULL is an answer neither side should give
		require.NoError(t, rows.Scan(&from, &to, &sql))
		pairs++
		if want := rule(payout.Status(from), payout.Status(to)); sql == nil || *sql != want {
			out = append(out, fmt.Sprintf("%q -> %q: database %s, Go %t", from, to, answer(sql), want))
		}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, len(names)*len(names), pairs, "every ordered pair answered")
	return out
}

func answer(b *bool) string {
	if b == nil {
		return "NULL"
	}
	return fmt.Sprint(*b)
}

func texts(names []payout.Status) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return out
}

func canTransitionSQL(t *testing.T, s *store.Store, from, to payout.Status) bool {
	t.Helper()
	var ok bool
	require.NoError(t, s.Pool().QueryRow(context.Background(),
		`SELECT payout_can_transition($1, $2)`, string(from), string(to)).Scan(&ok))
	return ok
}
