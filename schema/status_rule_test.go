package schema_test

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/schema"
)

//go:generate go test -run TestStatusRuleMigration -update .

var update = flag.Bool("update", false, "rewrite the generated status rule in the latest migration holding it")

const (
	ruleBegin = "-- BEGIN status rule generated from payout.Transitions\n"
	ruleEnd   = "-- END status rule generated from payout.Transitions\n"
)

// The database's status rule is generated from payout's transition table;
// this test is the generator, and fails when the migration that defines the
// rule last no longer holds what the table gives.
func TestStatusRuleMigration(t *testing.T) {
	name, text := latestRule(t)
	begin, end := ruleRegion(t, name, text)
	want := renderStatusRule(payout.Transitions(), payout.Statuses)
	if *update {
		path := filepath.Join("migrations", name)
		require.NoError(t, os.WriteFile(path, []byte(text[:begin]+want+text[end:]), 0o644))
		return
	}
	assert.Equal(t, want, text[begin:end],
		"the status rule in %s is not what payout.Transitions gives. If %[1]s is released, first add a "+
			"new migration with the BEGIN/END lines and a Down restoring the current rule; then run "+
			"go test ./schema/ -run TestStatusRuleMigration -update", name)
}

// latestRule is the last migration that defines the status functions; a
// hand-written definition after the generated one would fail here.
func latestRule(t *testing.T) (name, text string) {
	t.Helper()
	names, err := fs.Glob(schema.Migrations(), "*.sql")
	require.NoError(t, err)
	slices.Sort(names)
	for _, n := range names {
		b, err := fs.ReadFile(schema.Migrations(), n)
		require.NoError(t, err)
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		if strings.Contains(up, ruleBegin) || definesRule(up) {
			name, text = n, string(b)
		}
	}
	require.NotEmpty(t, name, "no migration defines the status rule")
	return name, text
}

func definesRule(up string) bool {
	return strings.Contains(up, "FUNCTION payout_can_transition(") || strings.Contains(up, "FUNCTION payout_status_rank(")
}

// ruleRegion finds the generated region; a definition outside it is hand-written.
func ruleRegion(t *testing.T, name, text string) (begin, end int) {
	t.Helper()
	b := strings.Index(text, ruleBegin)
	e := strings.Index(text, ruleEnd)
	require.True(t, b >= 0 && e > b, "%s defines the status rule last, but not in a generated region", name)
	begin, end = b+len(ruleBegin), e
	outside := text[:b] + text[e:]
	up, _, _ := strings.Cut(outside, "-- +goose Down")
	require.False(t, definesRule(up), "%s defines the status rule outside its generated region", name)
	return begin, end
}

// renderStatusRule writes the two functions the payouts_guard trigger and
// store.Apply use: the ranks, and the allowed changes, one row per line with
// its reason.
func renderStatusRule(rows []payout.Transition, statuses []payout.Status) string {
	var b strings.Builder
	b.WriteString("-- +goose StatementBegin\n" +
		"CREATE OR REPLACE FUNCTION payout_status_rank(s text) RETURNS int\n" +
		"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$\n" +
		"    SELECT CASE s\n")
	width := 0
	for _, s := range statuses {
		width = max(width, len(quote(s)))
	}
	for _, s := range statuses {
		fmt.Fprintf(&b, "        WHEN %-*s THEN %d\n", width, quote(s), s.Rank())
	}
	b.WriteString("    END\n$$;\n-- +goose StatementEnd\n\n")
	b.WriteString("-- +goose StatementBegin\n" +
		"CREATE OR REPLACE FUNCTION payout_can_transition(from_s text, to_s text) RETURNS boolean\n" +
		"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$\n" +
		"    SELECT (from_s, to_s) IN (\n")
	writeRows(&b, rows)
	b.WriteString("    )\n$$;\n-- +goose StatementEnd\n")
	return b.String()
}

func writeRows(b *strings.Builder, rows []payout.Transition) {
	pairs := make([]string, len(rows))
	width := 0
	for i, r := range rows {
		pairs[i] = "(" + quote(r.From) + ", " + quote(r.To) + ")"
		if i < len(rows)-1 {
			pairs[i] += ","
		}
		width = max(width, len(pairs[i]))
	}
	for i, r := range rows {
		fmt.Fprintf(b, "        %-*s -- %s\n", width, pairs[i], r.Why)
	}
}

func quote(s payout.Status) string {
	return "'" + strings.ReplaceAll(string(s), "'", "''") + "'"
}
