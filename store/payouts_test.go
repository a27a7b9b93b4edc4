package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

func newPayout(id, amount string) payout.Payout {
	return payout.Payout{
		ID:             id,
		ClientID:       "client-1",
		Asset:          "USDT",
		Network:        "tron",
		Amount:         decimal.RequireFromString(amount),
		Address:        "TXYZ0000000000000000000000000000001",
		Origin:         payout.OriginManual,
		IsSubtract:     true,
		RequestedBy:    "admin@example.com",
		IdempotencyKey: "key-" + id,
	}
}

func create(t *testing.T, s *store.Store, p payout.Payout) payout.Payout {
	t.Helper()
	stored, created, err := s.CreatePayout(context.Background(), p, "tester", nil)
	require.NoError(t, err)
	require.True(t, created)
	return stored
}

func TestCreateGetRoundTripKeepsDecimalsExact(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for i, amount := range []string{"100.50", "0.00000001", "123456789012345678.123456789012345678", "0.000000000000000001"} {
		in := newPayout(fmt.Sprintf("po%d", i), amount)
		in.Memo = "memo"
		stored, created, err := s.CreatePayout(ctx, in, "tester", map[string]any{"note": "x"})
		require.NoError(t, err)
		require.True(t, created)

		got, err := s.GetPayout(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, stored, got)
		assert.True(t, in.Amount.Equal(got.Amount), "amount %s came back as %s", amount, got.Amount)
		assert.Equal(t, in.Amount.String(), got.Amount.String())
		assert.Equal(t, payout.StatusRequested, got.Status)
		assert.Equal(t, in.Address, got.Address)
		assert.Equal(t, in.Memo, got.Memo)
		assert.Equal(t, in.IdempotencyKey, got.IdempotencyKey)
		assert.Equal(t, in.RequestedBy, got.RequestedBy)
		assert.True(t, got.IsSubtract)
		assert.False(t, got.Commission.Valid)
		assert.Nil(t, got.FinalizedAt)
		assert.False(t, got.CreatedAt.IsZero())
	}
}

func TestCreateRejectsAmountsThatWouldNotRoundTrip(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for name, amount := range map[string]string{
		"40 digits":         "1234567890123456789012345678901234567890",
		"19 integer digits": "1234567890123456789",
		"19 decimal places": "1.0000000000000000001",
		"zero":              "0",
		"negative":          "-5",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := s.CreatePayout(ctx, newPayout("bad", amount), "tester", nil)
			require.Error(t, err)
			_, err = s.GetPayout(ctx, "bad")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	}
}

func TestCreateRejectsInvalidRows(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	cases := map[string]func(*payout.Payout){
		"id too long":       func(p *payout.Payout) { p.ID = "p123456789012345678901234567890123" },
		"id bad characters": func(p *payout.Payout) { p.ID = "po/1" },
		"unknown origin":    func(p *payout.Payout) { p.Origin = "gift" },
		"created as paid":   func(p *payout.Payout) { p.Status = payout.StatusPaid },
		"facts at creation": func(p *payout.Payout) { p.TxID = "0xabc" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			p := newPayout("po1", "1")
			mutate(&p)
			_, _, err := s.CreatePayout(ctx, p, "tester", nil)
			require.Error(t, err)
		})
	}
}

func TestCreateAwaitingApproval(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	p := newPayout("po1", "1")
	p.Status = payout.StatusAwaitingApproval
	stored := create(t, s, p)
	assert.Equal(t, payout.StatusAwaitingApproval, stored.Status)
	events, err := s.Events(context.Background(), "po1")
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, payout.StatusAwaitingApproval, events[0].To)
}

func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	first := create(t, s, newPayout("po1", "10"))

	// Same ID.
	again, created, err := s.CreatePayout(ctx, newPayout("po1", "10"), "tester", nil)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first, again)

	// Same client and key under another ID: the key wins.
	other := newPayout("po2", "10")
	other.IdempotencyKey = first.IdempotencyKey
	again, created, err = s.CreatePayout(ctx, other, "tester", nil)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first, again)

	events, err := s.Events(ctx, "po1")
	require.NoError(t, err)
	assert.Len(t, events, 1)
	_, err = s.GetPayout(ctx, "po2")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestCreateWithoutKeyAllowsManyPayouts(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	for _, id := range []string{"po1", "po2"} {
		p := newPayout(id, "1")
		p.IdempotencyKey = ""
		create(t, s, p)
	}
}

func TestCreateConcurrentSameKeyWritesOnce(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	const n = 20
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		results = make([]payout.Payout, n)
		created = make([]bool, n)
		errs    = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], created[i], errs[i] = s.CreatePayout(ctx, newPayout("po1", "42.42"), "tester", nil)
		})
	}
	close(start)
	wg.Wait()

	createdCount := 0
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, results[0], results[i])
		if created[i] {
			createdCount++
		}
	}
	assert.Equal(t, 1, createdCount)
	var rows, events int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM payouts`).Scan(&rows))
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM payout_events`).Scan(&events))
	assert.Equal(t, 1, rows)
	assert.Equal(t, 1, events)
}

func TestGetPayoutNotFound(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	_, err := s.GetPayout(context.Background(), "missing")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.Events(context.Background(), "missing")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestApplyForwardRecordsEveryStep(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	create(t, s, newPayout("po1", "100.50"))
	commission := decimal.RequireFromString("1.000000000000000001")

	steps := []payout.Change{
		{PayoutID: "po1", To: payout.StatusSubmitted, Source: payout.SourceWorkflow, HeleketUUID: "uuid-1"},
		{PayoutID: "po1", To: payout.StatusProcessing, Source: payout.SourceWebhook},
		{PayoutID: "po1", To: payout.StatusPaid, Source: payout.SourcePoll, Actor: "poller", TxID: "0xfeed",
			Commission: decimal.NewNullDecimal(commission), Details: map[string]any{"heleket_status": "paid"}},
	}
	for _, c := range steps {
		p, applied, err := s.Apply(ctx, c)
		require.NoError(t, err)
		require.True(t, applied, "to %s", c.To)
		assert.Equal(t, c.To, p.Status)
	}

	p, err := s.GetPayout(ctx, "po1")
	require.NoError(t, err)
	assert.Equal(t, "uuid-1", p.HeleketUUID, "earlier facts survive later changes")
	assert.Equal(t, "0xfeed", p.TxID)
	require.True(t, p.Commission.Valid)
	assert.True(t, commission.Equal(p.Commission.Decimal), "commission came back as %s", p.Commission.Decimal)
	require.NotNil(t, p.FinalizedAt)

	events, err := s.Events(ctx, "po1")
	require.NoError(t, err)
	require.Len(t, events, 4)
	assert.Equal(t, payout.Status(""), events[0].From)
	assert.Equal(t, payout.StatusRequested, events[0].To)
	assert.Equal(t, payout.SourceAPI, events[0].Source)
	for i, c := range steps {
		e := events[i+1]
		assert.Equal(t, events[i].To, e.From)
		assert.Equal(t, c.To, e.To)
		assert.Equal(t, c.Source, e.Source)
		assert.Greater(t, e.ID, events[i].ID)
	}
	assert.Equal(t, "poller", events[3].Actor)
	assert.Equal(t, map[string]any{
		"heleket_status": "paid", "txid": "0xfeed", "commission": "1.000000000000000001",
	}, events[3].Details)
	assert.Equal(t, map[string]any{"heleket_uuid": "uuid-1"}, events[1].Details)
}

func TestApplyBackwardOrFromFinalIsANoop(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	create(t, s, newPayout("po1", "1"))
	_, applied, err := s.Apply(ctx, payout.Change{PayoutID: "po1", To: payout.StatusProcessing, Source: payout.SourceWebhook})
	require.NoError(t, err)
	require.True(t, applied)

	for _, c := range []payout.Change{
		{PayoutID: "po1", To: payout.StatusSubmitted, Source: payout.SourceWorkflow, HeleketUUID: "late"},
		{PayoutID: "po1", To: payout.StatusProcessing, Source: payout.SourceWebhook, TxID: "dup"},
		{PayoutID: "po1", To: payout.StatusRejected, Source: payout.SourceAPI},
	} {
		p, applied, err := s.Apply(ctx, c)
		require.NoError(t, err)
		assert.False(t, applied, "to %s", c.To)
		assert.Equal(t, payout.StatusProcessing, p.Status)
		assert.Empty(t, p.HeleketUUID)
		assert.Empty(t, p.TxID)
	}

	_, applied, err = s.Apply(ctx, payout.Change{PayoutID: "po1", To: payout.StatusFailed, Source: payout.SourceWebhook, FailureReason: "fail"})
	require.NoError(t, err)
	require.True(t, applied)
	p, applied, err := s.Apply(ctx, payout.Change{PayoutID: "po1", To: payout.StatusPaid, Source: payout.SourcePoll})
	require.NoError(t, err)
	assert.False(t, applied)
	assert.Equal(t, payout.StatusFailed, p.Status)
	assert.Equal(t, "fail", p.FailureReason)

	events, err := s.Events(ctx, "po1")
	require.NoError(t, err)
	assert.Len(t, events, 3)
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	_, _, err := s.Apply(ctx, payout.Change{PayoutID: "missing", To: payout.StatusSubmitted, Source: payout.SourceWorkflow})
	require.ErrorIs(t, err, store.ErrNotFound)

	create(t, s, newPayout("po1", "1"))
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "po1", To: "bogus", Source: payout.SourceWorkflow})
	require.Error(t, err)
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "po1", To: payout.StatusSubmitted, Source: payout.SourceWorkflow,
		Commission: decimal.NewNullDecimal(decimal.RequireFromString("0.0000000000000000001"))})
	require.Error(t, err)
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "po1", To: payout.StatusSubmitted, Source: "martian"})
	require.Error(t, err, "unknown source is refused by the CHECK and rolls the change back")

	p, err := s.GetPayout(ctx, "po1")
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRequested, p.Status)
}

func TestSetNeedsAttentionRecordsAnEvent(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	create(t, s, newPayout("po1", "1"))

	require.NoError(t, s.SetNeedsAttention(ctx, "po1", true, payout.SourceReconcile, "stuck in verifying"))
	require.NoError(t, s.SetNeedsAttention(ctx, "po1", true, payout.SourceReconcile, "again"))
	require.ErrorIs(t, s.SetNeedsAttention(ctx, "missing", true, payout.SourceReconcile, ""), store.ErrNotFound)

	var flagged bool
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT needs_attention FROM payouts WHERE id = 'po1'`).Scan(&flagged))
	assert.True(t, flagged)
	events, err := s.Events(ctx, "po1")
	require.NoError(t, err)
	require.Len(t, events, 2, "setting the same value again records nothing")
	e := events[1]
	assert.Equal(t, payout.StatusRequested, e.From)
	assert.Equal(t, payout.StatusRequested, e.To)
	assert.Equal(t, payout.SourceReconcile, e.Source)
	assert.Equal(t, map[string]any{"needs_attention": true, "reason": "stuck in verifying"}, e.Details)
}

func TestListNonFinalPages(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for i := range 5 {
		create(t, s, newPayout(fmt.Sprintf("open%d", i), "1"))
	}
	for i, to := range []payout.Status{payout.StatusPaid, payout.StatusRejected} {
		id := fmt.Sprintf("closed%d", i)
		create(t, s, newPayout(id, "1"))
		_, applied, err := s.Apply(ctx, payout.Change{PayoutID: id, To: to, Source: payout.SourceAPI})
		require.NoError(t, err)
		require.True(t, applied)
	}
	var cutoff time.Time
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&cutoff))
	create(t, s, newPayout("recent", "1"))

	var ids []string
	after := ""
	for {
		page, err := s.ListNonFinal(ctx, cutoff, after, 2)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		assert.LessOrEqual(t, len(page), 2)
		for _, p := range page {
			ids = append(ids, p.ID)
		}
		after = page[len(page)-1].ID
	}
	assert.Equal(t, []string{"open0", "open1", "open2", "open3", "open4"}, ids)

	_, err := s.ListNonFinal(ctx, cutoff, "", 0)
	require.Error(t, err)
}

func TestOpenUnreachableSaysWhere(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), "postgres://u:s3cretpw@127.0.0.1:1/payouts?sslmode=disable")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:1/payouts")
	assert.NotContains(t, err.Error(), "s3cretpw")
}
