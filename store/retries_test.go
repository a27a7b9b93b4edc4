package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// passThrough is a gate decision that changes nothing.
var passThrough = store.Check{Decide: func(p payout.Payout, _ store.Facts) (payout.Payout, error) { return p, nil }}

func retryOf(original, id, key string) payout.Payout {
	p := newPayout(id, "1")
	p.IdempotencyKey, p.RetryOf = key, original
	return p
}

// A retry links both payouts in the transaction that creates it, with an
// audit row on each; a repeat finds it; another key is refused with the
// existing retry named.
func TestRetryLinksBothWaysOnce(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	reach(t, s, "orig", payout.StatusFailed)

	made, created, err := s.CreatePayoutChecked(ctx, retryOf("orig", "retry1", "k1"), "ivan", map[string]any{"retry_of": "orig"}, passThrough)
	require.NoError(t, err)
	require.True(t, created)
	assert.Equal(t, "orig", made.RetryOf)
	original, err := s.GetPayout(ctx, "orig")
	require.NoError(t, err)
	assert.Equal(t, "retry1", original.RetriedAs)
	assert.Equal(t, payout.StatusFailed, original.Status)

	trail, err := s.Events(ctx, "orig")
	require.NoError(t, err)
	last := trail[len(trail)-1]
	assert.Equal(t, payout.StatusFailed, last.From)
	assert.Equal(t, payout.StatusFailed, last.To)
	assert.Equal(t, "ivan", last.Actor)
	assert.Equal(t, map[string]any{"action": "retried", "retried_as": "retry1"}, last.Details)
	newTrail, err := s.Events(ctx, "retry1")
	require.NoError(t, err)
	assert.Equal(t, "orig", newTrail[0].Details["retry_of"])

	again, created, err := s.CreatePayoutChecked(ctx, retryOf("orig", "retry1", "k1"), "ivan", nil, passThrough)
	require.NoError(t, err)
	assert.False(t, created, "the same key is the same retry")
	assert.Equal(t, "retry1", again.ID)

	_, _, err = s.CreatePayoutChecked(ctx, retryOf("orig", "retry2", "k2"), "ivan", nil, passThrough)
	var retried *store.RetriedError
	require.ErrorAs(t, err, &retried)
	assert.Equal(t, "retry1", retried.RetriedAs)
	_, err = s.GetPayout(ctx, "retry2")
	require.ErrorIs(t, err, store.ErrNotFound, "a refused retry stores nothing")

	_, err = s.Pool().Exec(ctx, `UPDATE payouts SET retried_as = NULL WHERE id = 'orig'`)
	require.Error(t, err, "the link is set once")
	_, err = s.Pool().Exec(ctx, `UPDATE payouts SET retry_of = NULL WHERE id = 'retry1'`)
	require.Error(t, err, "retry_of never changes")
}

// Only payouts that sent no money are retried.
func TestRetryOfAPaidPayoutIsRefused(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	reach(t, s, "paid", payout.StatusPaid)
	_, _, err := s.CreatePayoutChecked(ctx, retryOf("paid", "retry", "k"), "ivan", nil, passThrough)
	var final *store.NotRetryableError
	require.ErrorAs(t, err, &final)
	assert.Equal(t, payout.StatusPaid, final.Status)
	_, err = s.Pool().Exec(ctx, `UPDATE payouts SET retried_as = 'paid' WHERE id = 'paid'`)
	require.Error(t, err, "the database refuses the link too")
}

// Ten concurrent retries of one payout under ten keys: exactly one wins.
func TestConcurrentRetriesMakeOnePayout(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	reach(t, s, "orig", payout.StatusExpired)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		made    int
		refused int
	)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "retry" + string(rune('a'+i))
			_, created, err := s.CreatePayoutChecked(ctx, retryOf("orig", id, id), "ivan", nil, passThrough)
			mu.Lock()
			defer mu.Unlock()
			var retried *store.RetriedError
			switch {
			case err == nil && created:
				made++
			case assert.ErrorAs(t, err, &retried):
				refused++
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, made)
	assert.Equal(t, 9, refused)
	var n int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM payouts WHERE retry_of = 'orig'`).Scan(&n))
	assert.Equal(t, 1, n)
}
