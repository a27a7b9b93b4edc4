//go:build chaos

package chaos_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/chaos"
)

// TestTemporalKilledAPIAnswers503ThenAllPaidOnce kills -9 the Temporal
// server with payouts in flight: a payout request meanwhile is answered
// 503 (it stores nothing that a retry would duplicate), the api and the
// worker stay up and reconnect once the server is back on its database
// file, and every payout ends paid with one create at Heleket.
func TestTemporalKilledAPIAnswers503ThenAllPaidOnce(t *testing.T) {
	say := func(format string, args ...any) { t.Logf(format, args...) }
	dir := logDir(t, os.Getenv("CHAOS_LOG_DIR"), "payouts-temporal-kill-", say)
	stack := chaos.StartStack(t, chaos.StackOptions{Seed: 21, Bin: os.Getenv("CHAOS_BIN"), LogDir: dir,
		WebhookWait: time.Second, PollInitial: 300 * time.Millisecond, PollMax: time.Second,
		SettleAfter: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	installation, err := stack.Store.Installation(ctx)
	require.NoError(t, err)
	items := rollingItems(installation.ID, 5, 0)
	client := stack.Client()
	for _, it := range items[:4] {
		_, err := client.CreatePayout(ctx, it)
		require.NoError(t, err)
	}

	require.True(t, stack.KillTemporal(), "Temporal was running")
	status, body := postOnce(ctx, t, stack.APIURL, items[4])
	assert.Equal(t, http.StatusServiceUnavailable, status, "a payout request while Temporal is down: %s", body)
	require.NoError(t, stack.StartTemporal())
	a, err := client.CreatePayout(ctx, items[4])
	require.NoError(t, err)
	assert.Equal(t, items[4].ID, a.ID, "the retry with the same key names the same payout")

	require.NoError(t, stack.WaitFinal(ctx, len(items), 60, say))
	require.NoError(t, stack.WaitWorkflowsClosed(ctx, 30))
	snap, err := stack.Snapshot(ctx, chaos.Plan{Items: items})
	require.NoError(t, err)
	rep := chaos.Check(snap)
	assert.Empty(t, append(rep.Violations, stack.Crashes()...))
	assert.Equal(t, len(items), rep.Paid, "payouts paid")
	assert.Equal(t, len(items), snap.Stats.Creates, "one create at Heleket per payout")
	assert.Equal(t, 1, stack.API.Stats().Starts, "the api rode out the outage without a restart")
	assert.Equal(t, 1, stack.Worker.Stats().Starts, "the worker reconnected without a restart")
}

// postOnce sends one payout request, with no retry.
func postOnce(ctx context.Context, t *testing.T, apiURL string, it chaos.Item) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/clients/"+it.ClientID+"/payout",
		bytes.NewReader(it.Body()))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+chaos.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", it.Key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}
