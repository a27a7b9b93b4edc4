package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

// explain returns the plan of sql with args. With forced, sequential
// scans and sorts are priced out, so the plan shows an index that serves
// the query in its order when there is one, whatever the tables hold; a
// Seq Scan or Sort left in it means there is none.
func explain(t *testing.T, s *store.Store, forced bool, sql string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	var plan []string
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if forced {
			if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off`); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	require.NoError(t, err)
	return strings.Join(plan, "\n")
}

// The batch paging queries and reconciliation's open-payouts walk run
// over tables that grow with every campaign: an index must serve each in
// its order (no scan or sort of a whole table or batch per page). The
// planner rightly prefers scans on a test's small tables, so this checks
// that an index plan exists; the BATCH_SCALE_ROWS test shows the plans
// chosen at campaign scale.
func TestPagedQueriesAreIndexBacked(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	for name, q := range store.PagedQueries {
		plan := explain(t, s, true, q.SQL, q.Args...)
		assert.NotContains(t, plan, "Seq Scan", "%s:\n%s", name, plan)
		assert.NotContains(t, plan, "Sort", "%s is read in index order:\n%s", name, plan)
	}
}
