package store_test

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// TestBatchAtCampaignScale stores a campaign of $BATCH_SCALE_ROWS rows
// (batch.MaxRows is 100,000), starts half of it, and pages, reconciles and
// cancels it, logging how long each step took and the plans PostgreSQL
// chose at that size. It measures; it asserts results, not times:
//
//	BATCH_SCALE_ROWS=100000 go test ./store/ -run CampaignScale -count=1 -v
func TestBatchAtCampaignScale(t *testing.T) {
	// make test runs it small, for its results; the figures come from a
	// campaign of real size.
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("BATCH_SCALE_ROWS")); err == nil && v > 0 {
		n = v
	}
	s := testdb.Open(t)
	ctx := context.Background()
	// Other campaigns around it, done, so the tables are not one batch's.
	for _, id := range []string{"btold1", "btold2"} {
		require.NoError(t, s.MarkBatchStarted(ctx, id, storeBatch(t, s, id, 2000)))
	}

	amounts := make([]string, n)
	for i := range amounts {
		amounts[i] = "1.25"
	}
	b, ps := batchOf("bt1", amounts...)
	// IDs and clients as a real campaign has them: hashes land all over
	// the payout indexes, where sequential test IDs would append.
	for i := range ps {
		ps[i].ClientID = strconv.Itoa(100000 + i)
		ps[i].ID = payout.DeriveID("scale", "batch", ps[i].ClientID, "campaign#"+strconv.Itoa(i))
	}
	begin := time.Now()
	_, created, err := s.CreateBatch(ctx, b, ps)
	require.NoError(t, err)
	require.True(t, created)
	t.Logf("CreateBatch of %d rows: %s", n, time.Since(begin).Round(time.Millisecond))
	assert.Equal(t, n, countRows(t, s, `SELECT count(*) FROM payout_batch_items WHERE batch_id = 'bt1'`))

	ids := make([]string, n)
	for i, p := range ps {
		ids[i] = p.ID
	}
	sort.Strings(ids)
	half := ids[:n/2]
	begin = time.Now()
	require.NoError(t, s.MarkBatchStarted(ctx, "bt1", half))
	t.Logf("MarkBatchStarted of %d rows: %s", len(half), time.Since(begin).Round(time.Millisecond))
	_, err = s.Pool().Exec(ctx, `ANALYZE`)
	require.NoError(t, err)

	for name, q := range store.PagedQueries {
		t.Logf("%s at %d rows:\n%s", name, n, explainAnalyze(t, s, q.SQL, q.Args...))
	}

	begin = time.Now()
	toStart := 0
	for after := ""; ; {
		page, err := s.BatchRowsToStart(ctx, "bt1", after, 1000)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		toStart += len(page)
		after = page[len(page)-1].ID
	}
	t.Logf("BatchRowsToStart, every page of 1000: %s", time.Since(begin).Round(time.Millisecond))
	assert.Equal(t, n-n/2, toStart)

	begin = time.Now()
	open := 0
	for after := ""; ; {
		page, err := s.OpenPayouts(ctx, time.Now().Add(time.Minute), after, 500)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		open += len(page)
		after = page[len(page)-1].ID
	}
	t.Logf("OpenPayouts, every page of 500: %s", time.Since(begin).Round(time.Millisecond))
	assert.Equal(t, n/2+4000, open, "the started half and the other campaigns, not the unstarted rows")

	begin = time.Now()
	cancelled, err := s.CancelUnstartedBatchRows(ctx, "bt1", "carol", "campaign cancelled")
	require.NoError(t, err)
	t.Logf("CancelUnstartedBatchRows of %d rows: %s", cancelled, time.Since(begin).Round(time.Millisecond))
	assert.Equal(t, n-n/2, cancelled)
	again, err := s.CancelUnstartedBatchRows(ctx, "bt1", "carol", "campaign cancelled")
	require.NoError(t, err)
	assert.Zero(t, again)
}

// explainAnalyze runs sql under EXPLAIN ANALYZE in a transaction it rolls
// back, so that a data-modifying query changes nothing.
func explainAnalyze(t *testing.T, s *store.Store, sql string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+sql, args...)
	require.NoError(t, err)
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return strings.Join(plan, "\n")
}
