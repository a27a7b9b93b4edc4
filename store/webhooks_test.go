package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

func TestInsertWebhookDedupesByBody(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	body := []byte(`{"type":"payout","uuid":"u-1","order_id":"po1","status":"paid","sign":"x"}`)
	entry := store.InboxEntry{Body: body, Verified: true, OrderID: "po1", HeleketUUID: "u-1", Status: "paid"}

	first, err := s.InsertWebhook(ctx, entry)
	require.NoError(t, err)
	assert.False(t, first.Duplicate)
	assert.False(t, first.Processed)
	id := first.ID

	again, err := s.InsertWebhook(ctx, entry)
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.False(t, again.Processed)
	assert.Equal(t, id, again.ID)

	require.NoError(t, s.MarkWebhookProcessed(ctx, id, ""))
	again, err = s.InsertWebhook(ctx, entry)
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.True(t, again.Processed)
	assert.Equal(t, id, again.ID)

	unknown, err := s.InsertWebhook(ctx, store.InboxEntry{Body: append(body, ' '), OrderID: "unknown"})
	require.NoError(t, err)
	assert.False(t, unknown.Duplicate)
	assert.Empty(t, unknown.PayoutID)
	other := unknown.ID
	assert.NotEqual(t, id, other)
	require.NoError(t, s.MarkWebhookProcessed(ctx, other, "unknown order_id"))

	var stored []byte
	var errText *string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT body, error FROM webhook_inbox WHERE id = $1`, id).Scan(&stored, &errText))
	assert.Equal(t, body, stored, "the raw body is kept byte for byte")
	assert.Nil(t, errText)
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT error FROM webhook_inbox WHERE id = $1`, other).Scan(&errText))
	require.NotNil(t, errText)
	assert.Equal(t, "unknown order_id", *errText)

	require.ErrorIs(t, s.MarkWebhookProcessed(ctx, 999999, ""), store.ErrNotFound)
}

func TestInsertWebhookResolvesThePayout(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	p := create(t, s, newPayout("po-hook-1", "10"))
	got, err := s.InsertWebhook(t.Context(), store.InboxEntry{Body: []byte(`{"order_id":"po-hook-1"}`), Verified: true, OrderID: p.ID})
	require.NoError(t, err)
	assert.Equal(t, p.ID, got.PayoutID)
	again, err := s.InsertWebhook(t.Context(), store.InboxEntry{Body: []byte(`{"order_id":"po-hook-1"}`), Verified: true, OrderID: p.ID})
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.Equal(t, p.ID, again.PayoutID)
}

func TestInsertWebhookNeverLinksAnotherKindToAPayout(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	p := create(t, s, newPayout("po-hook-2", "10"))
	body := []byte(`{"type":"payment","order_id":"po-hook-2"}`)
	got, err := s.InsertWebhook(t.Context(), store.InboxEntry{Body: body, Verified: true, OrderID: p.ID, NotPayout: true})
	require.NoError(t, err)
	assert.Empty(t, got.PayoutID)
	var orderID string
	var linked *string
	require.NoError(t, s.Pool().QueryRow(t.Context(), `SELECT order_id, payout_id FROM webhook_inbox WHERE id = $1`, got.ID).
		Scan(&orderID, &linked))
	assert.Equal(t, p.ID, orderID, "the order_id is kept as evidence")
	assert.Nil(t, linked)
}
