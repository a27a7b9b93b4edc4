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

// The trigger itself, through real updates, refuses what
// payout.CanTransition refuses (transitions_test.go compares the rule).
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

// reach creates payout id and brings it to status through the table's rows,
// one update each, so that it works whatever shortcuts the table allows.
func reach(t *testing.T, s *store.Store, id string, status payout.Status) {
	t.Helper()
	path := pathTo(status)
	require.NotEmpty(t, path, "no way to %s from a status a payout is created in", status)
	p := newPayout(id, "1")
	p.Status = path[0]
	create(t, s, p)
	for _, step := range path[1:] {
		_, err := s.Pool().Exec(context.Background(), `UPDATE payouts SET status = $2 WHERE id = $1`, id, string(step))
		require.NoError(t, err, "bringing %s to %s", id, step)
	}
}

// pathTo is a shortest way through the table to status, starting from
// requested or awaiting_approval (the statuses a payout is created in).
func pathTo(status payout.Status) []payout.Status {
	prev := map[payout.Status]payout.Status{}
	queue := []payout.Status{payout.StatusRequested, payout.StatusAwaitingApproval}
	seen := map[payout.Status]bool{queue[0]: true, queue[1]: true}
	for ; len(queue) > 0; queue = queue[1:] {
		at := queue[0]
		if at == status {
			return walkBack(prev, at)
		}
		for _, r := range payout.Transitions() {
			if r.From == at && !seen[r.To] {
				seen[r.To], prev[r.To] = true, at
				queue = append(queue, r.To)
			}
		}
	}
	return nil
}

func walkBack(prev map[payout.Status]payout.Status, at payout.Status) []payout.Status {
	path := []payout.Status{at}
	for {
		p, ok := prev[at]
		if !ok {
			return path
		}
		path = append([]payout.Status{p}, path...)
		at = p
	}
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
