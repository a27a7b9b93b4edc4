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

	id, dup, processed, err := s.InsertWebhook(ctx, entry)
	require.NoError(t, err)
	assert.False(t, dup)
	assert.False(t, processed)

	again, dup, processed, err := s.InsertWebhook(ctx, entry)
	require.NoError(t, err)
	assert.True(t, dup)
	assert.False(t, processed)
	assert.Equal(t, id, again)

	require.NoError(t, s.MarkWebhookProcessed(ctx, id, ""))
	again, dup, processed, err = s.InsertWebhook(ctx, entry)
	require.NoError(t, err)
	assert.True(t, dup)
	assert.True(t, processed)
	assert.Equal(t, id, again)

	other, dup, _, err := s.InsertWebhook(ctx, store.InboxEntry{Body: append(body, ' '), OrderID: "unknown"})
	require.NoError(t, err)
	assert.False(t, dup)
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
