package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// The database guard must agree with payout.CanTransition and payout.Rank
// on every status, so that neither layer can be bypassed by the other.
func TestSQLStatusRulesMatchGo(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for _, from := range payout.Statuses {
		var rank int
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT payout_status_rank($1)`, string(from)).Scan(&rank))
		assert.Equal(t, from.Rank(), rank, "rank of %s", from)
		for _, to := range payout.Statuses {
			var ok bool
			require.NoError(t, s.Pool().QueryRow(ctx, `SELECT payout_can_transition($1, $2)`,
				string(from), string(to)).Scan(&ok))
			assert.Equal(t, payout.CanTransition(from, to), ok, "%s -> %s", from, to)
		}
	}
}

func TestStatusTriggerMatchesCanTransition(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for i, from := range payout.Statuses {
		for j, to := range payout.Statuses {
			if from == to {
				continue
			}
			id := fmt.Sprintf("p%d_%d", i, j)
			reach(t, s, id, from)
			_, err := s.Pool().Exec(ctx, `UPDATE payouts SET status = $2 WHERE id = $1`, id, string(to))
			if payout.CanTransition(from, to) {
				assert.NoError(t, err, "%s -> %s", from, to)
			} else {
				assert.Error(t, err, "%s -> %s", from, to)
			}
		}
	}
}

// reach creates payout id and brings it to status through a legal path.
func reach(t *testing.T, s *store.Store, id string, status payout.Status) {
	t.Helper()
	p := newPayout(id, "1")
	if status == payout.StatusAwaitingApproval || !payout.CanTransition(payout.StatusRequested, status) {
		p.Status = payout.StatusAwaitingApproval
	}
	create(t, s, p)
	if status == p.Status {
		return
	}
	_, err := s.Pool().Exec(context.Background(), `UPDATE payouts SET status = $2 WHERE id = $1`, id, string(status))
	require.NoError(t, err, "bringing %s to %s", id, status)
}

func TestStatusTriggerRejectsRawBackwardUpdate(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	create(t, s, newPayout("po1", "1"))
	exec := func(sql string) error {
		_, err := s.Pool().Exec(ctx, sql)
		return err
	}
	require.NoError(t, exec(`UPDATE payouts SET status = 'processing' WHERE id = 'po1'`))
	assert.ErrorContains(t, exec(`UPDATE payouts SET status = 'submitted' WHERE id = 'po1'`), "cannot change")
	assert.ErrorContains(t, exec(`UPDATE payouts SET status = 'requested' WHERE id = 'po1'`), "cannot change")
	assert.ErrorContains(t, exec(`UPDATE payouts SET status = 'rejected' WHERE id = 'po1'`), "cannot change")
	assert.ErrorContains(t, exec(`UPDATE payouts SET status = 'bogus' WHERE id = 'po1'`), "cannot change")
	assert.ErrorContains(t, exec(`UPDATE payouts SET amount = 2 WHERE id = 'po1'`), "immutable")
	assert.ErrorContains(t, exec(`UPDATE payouts SET address = 'other' WHERE id = 'po1'`), "immutable")
	assert.ErrorContains(t, exec(`UPDATE payouts SET finalized_at = now() WHERE id = 'po1'`), "finalized_at")

	require.NoError(t, exec(`UPDATE payouts SET status = 'paid' WHERE id = 'po1'`))
	assert.ErrorContains(t, exec(`UPDATE payouts SET status = 'failed' WHERE id = 'po1'`), "final")
	assert.ErrorContains(t, exec(`UPDATE payouts SET status = 'verifying' WHERE id = 'po1'`), "final")
	require.NoError(t, exec(`UPDATE payouts SET txid = 'late fact' WHERE id = 'po1'`), "facts may still be corrected")

	p, err := s.GetPayout(ctx, "po1")
	require.NoError(t, err)
	assert.Equal(t, payout.StatusPaid, p.Status)
	require.NotNil(t, p.FinalizedAt)
}

func TestAuditRowsAreAppendOnly(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	create(t, s, newPayout("po1", "1"))
	for _, sql := range []string{
		`UPDATE payout_events SET actor = 'someone else'`,
		`DELETE FROM payout_events`,
		`TRUNCATE payout_events CASCADE`,
		`DELETE FROM payouts`,
	} {
		_, err := s.Pool().Exec(ctx, sql)
		assert.Error(t, err, sql)
	}
	events, err := s.Events(ctx, "po1")
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, "tester", events[0].Actor)
}
