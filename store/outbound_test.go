package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/outbound"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/views"
)

const testSecret = "whsec_0123456789abcdef0123456789abcdef"

func TestSQLMaskIsTheGoMask(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	for _, a := range []string{"", "short", "0123456789", "0123456789a", "TXYZ0000000000000000000000000000001",
		"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "EQD4FPq-PRDieyQKkizFTRtSDyucUIqrj0v_zXJmqaDp6_0t"} {
		var got string
		require.NoError(t, s.Pool().QueryRow(context.Background(), `SELECT mask_address($1)`, a).Scan(&got))
		assert.Equal(t, payout.MaskAddress(a), got, a)
	}
}

// Every move of a payout writes its event in the move's own statement,
// and the event shows the payout exactly as GET /payouts/{id} showed it
// right after that move.
func TestEveryMoveWritesItsEventShowingThePayoutAsTheAPIDoes(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	p := newPayout("ev1", "12.50")
	p.Status = payout.StatusAwaitingApproval
	stored := create(t, s, p)
	want := map[string]views.Payout{"payout.created": views.NewPayout(stored), "payout.awaiting_approval": views.NewPayout(stored)}
	moves := []payout.Change{
		{PayoutID: "ev1", To: payout.StatusRequested, Source: payout.SourceAdmin, Actor: "bob"},
		{PayoutID: "ev1", To: payout.StatusSubmitted, Source: payout.SourceWorkflow, HeleketUUID: "uuid-ev1"},
		{PayoutID: "ev1", To: payout.StatusProcessing, Source: payout.SourceWebhook},
		{PayoutID: "ev1", To: payout.StatusPaid, Source: payout.SourcePoll, TxID: "tx-ev1"},
	}
	types := []string{"payout.approved", "payout.submitted", "", "payout.paid"}
	for i, c := range moves {
		after, applied, err := s.Apply(ctx, c)
		require.NoError(t, err)
		require.True(t, applied)
		if types[i] != "" {
			want[types[i]] = views.NewPayout(after)
		}
	}
	// A repeat changes nothing and writes no event.
	_, applied, err := s.Apply(ctx, moves[3])
	require.NoError(t, err)
	require.False(t, applied)
	require.NoError(t, s.SetNeedsAttention(ctx, "ev1", true, payout.SourceReconcile, "check"))

	evs, next, err := s.OutboundEvents(ctx, store.EventFilter{PayoutID: "ev1"}, 0, 50)
	require.NoError(t, err)
	require.Zero(t, next)
	var got []string
	for i := len(evs) - 1; i >= 0; i-- {
		got = append(got, evs[i].Type)
		body, err := outbound.Render(ctx, s, evs[i])
		require.NoError(t, err)
		wantJSON, err := json.Marshal(want[evs[i].Type])
		require.NoError(t, err)
		assert.JSONEq(t, string(wantJSON), string(body.Data), evs[i].Type)
		assert.NotContains(t, string(evs[i].Data), p.Address, "the snapshot keeps no address")
	}
	assert.Equal(t, []string{"payout.created", "payout.awaiting_approval", "payout.approved", "payout.submitted", "payout.paid"}, got)
}

func TestDeliveriesGoToSubscribedEndpointsOnlyAndDeletionCancelsThem(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	all, err := s.CreateEventEndpoint(ctx, "https://a.example/hook", []string{"*"}, testSecret, "alice")
	require.NoError(t, err)
	paid, err := s.CreateEventEndpoint(ctx, "https://b.example/hook", []string{"payout.paid"}, testSecret, "alice")
	require.NoError(t, err)
	create(t, s, newPayout("ev2", "1"))
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "ev2", To: payout.StatusSubmitted, Source: payout.SourceWorkflow})
	require.NoError(t, err)
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "ev2", To: payout.StatusPaid, Source: payout.SourcePoll})
	require.NoError(t, err)
	assert.Equal(t, 3, countRows(t, s, `SELECT count(*) FROM event_deliveries WHERE endpoint_id = $1`, all.ID))
	assert.Equal(t, 1, countRows(t, s, `SELECT count(*) FROM event_deliveries WHERE endpoint_id = $1`, paid.ID))

	// The stream hands its oldest pending delivery first.
	job, found, err := s.NextDelivery(ctx, store.StreamKey{EndpointID: all.ID, OrderingKey: "ev2"})
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "payout.created", job.Event.Type)
	assert.Equal(t, testSecret, job.Secret)
	require.NoError(t, s.RecordAttempt(ctx, job.DeliveryID, store.Attempt{Outcome: store.OutcomeRefused, StatusCode: 503, Error: "down"}))
	job2, _, err := s.NextDelivery(ctx, store.StreamKey{EndpointID: all.ID, OrderingKey: "ev2"})
	require.NoError(t, err)
	assert.Equal(t, job.DeliveryID, job2.DeliveryID, "a refused delivery stays first")
	require.NoError(t, s.RecordAttempt(ctx, job.DeliveryID, store.Attempt{Outcome: store.OutcomeDelivered, StatusCode: 204}))
	job3, _, err := s.NextDelivery(ctx, store.StreamKey{EndpointID: all.ID, OrderingKey: "ev2"})
	require.NoError(t, err)
	assert.Equal(t, "payout.submitted", job3.Event.Type)

	_, err = s.DeleteEventEndpoint(ctx, all.ID, "bob")
	require.NoError(t, err)
	_, found, err = s.NextDelivery(ctx, store.StreamKey{EndpointID: all.ID, OrderingKey: "ev2"})
	require.NoError(t, err)
	assert.False(t, found, "a deleted endpoint's deliveries are cancelled")
	assert.Equal(t, 2, countRows(t, s, `SELECT count(*) FROM event_deliveries WHERE endpoint_id = $1 AND state = 'cancelled'`, all.ID))
	eps, err := s.EventEndpoints(ctx)
	require.NoError(t, err)
	require.Len(t, eps, 1)
	assert.Equal(t, paid.ID, eps[0].ID)
	assert.Equal(t, 3, countRows(t, s, `SELECT count(*) FROM event_endpoint_events`), "two creations and a deletion")
}

// Deliveries leave the outbox only when they were handed over, so a
// failed hand-over (a dead Temporal, a killed worker) loses nothing.
func TestAFailedHandOverLeavesTheOutboxAsItWas(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	ep, err := s.CreateEventEndpoint(ctx, "https://a.example/hook", []string{"*"}, testSecret, "alice")
	require.NoError(t, err)
	create(t, s, newPayout("ev3", "1"))
	create(t, s, newPayout("ev4", "1"))
	boom := errors.New("temporal down")
	_, err = s.HandOverDeliveries(ctx, 10, func([]store.StreamKey) error { return boom })
	require.ErrorIs(t, err, boom)
	var keys []store.StreamKey
	n, err := s.HandOverDeliveries(ctx, 10, func(k []store.StreamKey) error { keys = k; return nil })
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, []store.StreamKey{{EndpointID: ep.ID, OrderingKey: "ev3"}, {EndpointID: ep.ID, OrderingKey: "ev4"}}, keys)
	n, err = s.HandOverDeliveries(ctx, 10, func([]store.StreamKey) error { t.Error("nothing is left to hand over"); return nil })
	require.NoError(t, err)
	assert.Zero(t, n)
}

// The last row of a campaign to become final writes batch.completed,
// once, even when rows finish together.
func TestACampaignCompletesOnceWhenItsLastRowIsFinal(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	ids := storeBatch(t, s, "bev1", 3)
	for i, id := range ids {
		_, _, err := s.Apply(ctx, payout.Change{PayoutID: id, To: payout.StatusCancelled, Source: payout.SourceAdmin})
		require.NoError(t, err)
		want := 0
		if i == len(ids)-1 {
			want = 1
		}
		assert.Equal(t, want, countRows(t, s, `SELECT count(*) FROM outbound_events WHERE type = 'batch.completed' AND batch_id = 'bev1'`))
	}
	evs, _, err := s.OutboundEvents(ctx, store.EventFilter{Type: "batch.completed"}, 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	body, err := outbound.Render(ctx, s, evs[0])
	require.NoError(t, err)
	var b views.Batch
	require.NoError(t, json.Unmarshal(body.Data, &b))
	assert.True(t, b.Done)
	assert.Equal(t, 3, b.Statuses[payout.StatusCancelled])
}

func TestRedeliverQueuesTheEventAgainAndIsAudited(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	ep, err := s.CreateEventEndpoint(ctx, "https://a.example/hook", []string{"payout.created"}, testSecret, "alice")
	require.NoError(t, err)
	create(t, s, newPayout("ev5", "1"))
	job, _, err := s.NextDelivery(ctx, store.StreamKey{EndpointID: ep.ID, OrderingKey: "ev5"})
	require.NoError(t, err)
	require.NoError(t, s.RecordAttempt(ctx, job.DeliveryID, store.Attempt{Outcome: store.OutcomeDelivered, StatusCode: 200}))
	_, err = s.HandOverDeliveries(ctx, 10, func([]store.StreamKey) error { return nil })
	require.NoError(t, err)

	n, err := s.Redeliver(ctx, job.Event.ID, "carol")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	again, found, err := s.NextDelivery(ctx, store.StreamKey{EndpointID: ep.ID, OrderingKey: "ev5"})
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, job.DeliveryID, again.DeliveryID)
	assert.Equal(t, 1, countRows(t, s, `SELECT count(*) FROM event_deliveries WHERE handed_at IS NULL`), "back in the outbox")
	assert.Equal(t, 1, countRows(t, s, `SELECT count(*) FROM event_endpoint_events WHERE action = 'redelivered' AND actor = 'carol'`))
	_, err = s.Redeliver(ctx, "evt_missing", "carol")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// The trigger's rule is outbound.TypesFor for every row of the transition
// table and for the creation in each status a payout is created in.
func TestTheOutboxTriggerFollowsTypesForEveryTransition(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	typesOf := func(auditID int64) []string {
		rows, err := s.Pool().Query(ctx, `SELECT type FROM outbound_events WHERE audit_id = $1 ORDER BY seq`, auditID)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		if len(got) == 0 {
			return nil
		}
		return got
	}
	lastAudit := func(id string) int64 {
		var n int64
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT max(id) FROM payout_events WHERE payout_id = $1`, id).Scan(&n))
		return n
	}
	for i, row := range payout.Transitions() {
		id := fmt.Sprintf("tf%d", i)
		reach(t, s, id, row.From)
		_, err := s.Pool().Exec(ctx, `
			WITH upd AS (UPDATE payouts SET status = $2 WHERE id = $1 RETURNING id)
			INSERT INTO payout_events (payout_id, from_status, to_status, source) SELECT id, $3, $2, 'admin' FROM upd`,
			id, string(row.To), string(row.From))
		require.NoError(t, err)
		assert.Equal(t, outbound.TypesFor(row.From, row.To), typesOf(lastAudit(id)), "%s -> %s", row.From, row.To)
	}
	for _, st := range []payout.Status{payout.StatusRequested, payout.StatusAwaitingApproval} {
		p := newPayout("tfc-"+string(st), "1")
		p.Status = st
		create(t, s, p)
		assert.Equal(t, outbound.TypesFor("", st), typesOf(lastAudit(p.ID)), "created %s", st)
	}
}
