package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// seeded is a payout row written as history would have left it.
type seeded struct {
	id, client, asset, origin, status, amount string
	created                                   time.Time
	final                                     time.Duration // time to finalized_at; 0 for open
	attention                                 bool
}

// seed writes rows with chosen timestamps and statuses. The guard trigger
// would stamp now() and insist on a lifecycle, so this session bypasses it
// the way a restore from backup would.
func seed(t *testing.T, s *store.Store, rows ...seeded) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		for _, r := range rows {
			var finalized *time.Time
			if r.final > 0 {
				f := r.created.Add(r.final)
				finalized = &f
			}
			_, err := tx.Exec(ctx, `
				INSERT INTO payouts (id, client_id, asset, network, amount, address, origin, status,
					is_subtract, needs_attention, created_at, updated_at, finalized_at)
				VALUES ($1, $2, $3, 'tron', $4::numeric, 'TXYZ0000000000000000000000000000001', $5, $6,
					true, $7, $8, $8, $9)`,
				r.id, r.client, r.asset, r.amount, r.origin, r.status, r.attention, r.created, finalized)
			if err != nil {
				return fmt.Errorf("seed %s: %w", r.id, err)
			}
		}
		return nil
	}))
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func ids(ps []payout.Payout) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func TestListPayoutsPagesNewestFirstWithoutGapsOrRepeats(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	var want []string
	for i := range 7 {
		// Pairs share a created_at, so the id decides the order within them.
		created := t0.Add(time.Duration(i/2) * time.Minute)
		id := fmt.Sprintf("p%d", i)
		seed(t, s, seeded{id: id, client: "c1", asset: "USDT", origin: "manual", status: "requested", amount: "1", created: created})
		want = append([]string{id}, want...)
	}

	var got []string
	var after *store.PageKey
	pages := 0
	for {
		page, next, err := s.ListPayouts(ctx, store.PayoutFilter{}, after, 3)
		require.NoError(t, err)
		got = append(got, ids(page)...)
		pages++
		if next == nil {
			break
		}
		after = next
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, pages)

	exact, next, err := s.ListPayouts(ctx, store.PayoutFilter{}, nil, 7)
	require.NoError(t, err)
	assert.Len(t, exact, 7)
	assert.Nil(t, next, "no empty last page when the rows fit exactly")
}

func TestListPayoutsFilters(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	seed(t, s,
		seeded{id: "a", client: "c1", asset: "USDT", origin: "manual", status: "paid", amount: "1", created: t0, final: time.Minute},
		seeded{id: "b", client: "c2", asset: "USDT", origin: "bonus", status: "processing", amount: "2", created: t0.Add(time.Hour)},
		seeded{id: "c", client: "c1", asset: "TRX", origin: "scheduled", status: "failed", amount: "3", created: t0.Add(2 * time.Hour), final: time.Minute, attention: true},
		seeded{id: "d", client: "c1", asset: "USDT", origin: "manual", status: "requested", amount: "4", created: t0.Add(3 * time.Hour)},
	)
	yes := true
	cases := []struct {
		name string
		f    store.PayoutFilter
		want []string
	}{
		{"none", store.PayoutFilter{}, []string{"d", "c", "b", "a"}},
		{"one status", store.PayoutFilter{Statuses: []payout.Status{payout.StatusPaid}}, []string{"a"}},
		{"statuses", store.PayoutFilter{Statuses: []payout.Status{payout.StatusPaid, payout.StatusFailed}}, []string{"c", "a"}},
		{"client", store.PayoutFilter{ClientID: "c1"}, []string{"d", "c", "a"}},
		{"origin", store.PayoutFilter{Origin: payout.OriginBonus}, []string{"b"}},
		{"asset", store.PayoutFilter{Asset: "TRX"}, []string{"c"}},
		{"attention", store.PayoutFilter{NeedsAttention: &yes}, []string{"c"}},
		{"from inclusive", store.PayoutFilter{CreatedFrom: t0.Add(time.Hour)}, []string{"d", "c", "b"}},
		{"to exclusive", store.PayoutFilter{CreatedTo: t0.Add(time.Hour)}, []string{"a"}},
		{"combined", store.PayoutFilter{ClientID: "c1", Asset: "USDT", CreatedFrom: t0, CreatedTo: t0.Add(4 * time.Hour)}, []string{"d", "a"}},
		{"nothing", store.PayoutFilter{ClientID: "nobody"}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, next, err := s.ListPayouts(ctx, c.f, nil, 10)
			require.NoError(t, err)
			assert.Equal(t, c.want, ids(got))
			assert.Nil(t, next)
		})
	}
}

func TestListPayoutsRefusesNonPositiveLimit(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	_, _, err := s.ListPayouts(context.Background(), store.PayoutFilter{}, nil, 0)
	assert.ErrorContains(t, err, "limit")
}
