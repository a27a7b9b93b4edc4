package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

// A session is found by its id's digest while it lives, and never after
// it expires or is deleted; creating one forgets the expired ones.
func TestConsoleSessionsLiveUntilExpiryOrSignOut(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testdb.New(t))
	live := store.ConsoleSession{IDDigest: []byte("live-digest"), TokenDigest: []byte("token"), Admin: "alice",
		CSRF: "csrf-1", ExpiresAt: time.Now().Add(time.Hour)}
	old := store.ConsoleSession{IDDigest: []byte("old-digest"), TokenDigest: []byte("token"), Admin: "alice",
		CSRF: "csrf-2", ExpiresAt: time.Now().Add(-time.Minute)}
	require.NoError(t, s.CreateConsoleSession(ctx, old))
	require.NoError(t, s.CreateConsoleSession(ctx, live))

	got, err := s.ConsoleSessionByDigest(ctx, live.IDDigest)
	require.NoError(t, err)
	assert.Equal(t, "alice", got.Admin)
	assert.Equal(t, "csrf-1", got.CSRF)
	_, err = s.ConsoleSessionByDigest(ctx, old.IDDigest)
	assert.ErrorIs(t, err, store.ErrNotFound, "expired")
	var n int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM console_sessions`).Scan(&n))
	assert.Equal(t, 1, n, "the expired session was forgotten")

	require.NoError(t, s.DeleteConsoleSession(ctx, live.IDDigest))
	_, err = s.ConsoleSessionByDigest(ctx, live.IDDigest)
	assert.ErrorIs(t, err, store.ErrNotFound, "signed out")
	assert.NoError(t, s.DeleteConsoleSession(ctx, live.IDDigest), "signing out twice is no error")
}
