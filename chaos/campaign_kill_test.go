package chaos_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/chaos"
)

// TestCampaignKillsMidStart kills -9 the API right after it accepted a
// campaign and the worker while the campaign's rows are being started,
// then brings both back: every row must be paid exactly once, with one
// create at Heleket per row and no repeated one, and a complete audit
// trail. It runs in plain `go test` (no chaos tag), with the real api
// and worker processes of chaos.Stack.
//
// Creates are held at Heleket's door until the worker is dead, so no
// create is in flight at the kill: a repeat at Heleket could then only be
// the product asking twice, which is what this test rules out.
func TestCampaignKillsMidStart(t *testing.T) {
	const (
		rows     = 300
		pageSize = 25 // 12 pages
		seed     = 13
	)
	began := time.Now()
	dir, err := os.MkdirTemp("", "payouts-campaign-kill-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs of the api, the worker and Temporal kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	stack := chaos.StartStack(t, chaos.StackOptions{Seed: seed, Bin: os.Getenv("CHAOS_BIN"), LogDir: dir,
		WebhookWait: 2 * time.Second, PollInitial: 500 * time.Millisecond, PollMax: 2 * time.Second,
		SettleAfter: 300 * time.Millisecond, CheckAfter: 200 * time.Millisecond,
		Env: []string{"BATCH_PAGE_SIZE=" + itoa(pageSize)}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	installation, err := stack.Store.Installation(ctx)
	require.NoError(t, err)
	camp := chaos.NewCampaign(installation.ID, seed, "campaign-kill-mid-start", rows, 0, 0, nil)
	client := stack.Client()

	stack.Hold.Hold()
	res, err := client.CreateCampaign(ctx, camp)
	require.NoError(t, err)
	require.Equal(t, camp.ID, res.Batch.ID, "the batch the key derives to")
	require.Equal(t, 1, res.Attempts, "accepted at the first request")
	require.True(t, stack.API.Kill(), "the api was running when it was killed")

	before := waitMidStart(ctx, t, stack, camp.ID, rows)
	require.True(t, stack.Worker.Kill(), "the worker was running when it was killed")
	// Read after the kill: nothing starts rows while the worker is down.
	atKill, err := stack.BatchRowsStarted(ctx, camp.ID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, atKill, before)
	require.Less(t, atKill, rows, "the worker died before the last page was recorded")
	require.Zero(t, stack.Sandbox.Stats().Creates, "no create passed the hold")
	waitHoldEmpty(t, stack)
	stack.Hold.Release()
	workflows, err := stack.PayoutWorkflows(ctx)
	require.NoError(t, err)
	unrecorded := int(workflows) - atKill
	t.Logf("killed the api after the 202, and the worker with %d of %d rows recorded started and %d more started "+
		"unrecorded; %d held creates dropped", atKill, rows, unrecorded, stack.Hold.Dropped())

	require.NoError(t, stack.API.Start())
	require.NoError(t, stack.Worker.Start())
	say := func(format string, args ...any) { t.Logf(format, args...) }
	require.NoError(t, stack.WaitFinal(ctx, rows, 90, say))
	wf, err := stack.WaitBatchWorkflow(ctx, camp.ID, 300)
	require.NoError(t, err)
	require.NoError(t, stack.WaitWorkflowsClosed(ctx, 30))
	broken, err := stack.BrokenWorkflows(ctx)
	require.NoError(t, err)
	assert.Empty(t, broken, "payout workflows that ended without completing")

	snap, err := stack.Snapshot(ctx, chaos.Plan{Items: camp.Items})
	require.NoError(t, err)
	rep := chaos.Check(snap)
	require.NoError(t, stack.WaitAPI())
	view, err := client.Batch(ctx, camp.ID)
	require.NoError(t, err)
	violations := append(rep.Violations, chaos.CheckCampaign(camp, view, wf)...)
	violations = append(violations, stack.Crashes()...)
	assert.Empty(t, violations)
	assert.Equal(t, rows, rep.Paid, "rows paid")
	assert.Zero(t, rep.Duplicates, "payouts made more than once")
	assert.Zero(t, rep.Lost, "payouts lost")
	st := snap.Stats
	assert.Equal(t, rows, st.Creates, "creates applied at Heleket")
	assert.Zero(t, st.IdempotentRepeats, "creates sent again for an order_id Heleket already had")
	// Created, submitted, paid at least: three status changes a row.
	assert.GreaterOrEqual(t, rep.AuditRows, 3*rows, "audit rows")
	t.Logf("%d rows paid once each; Heleket creates %d (repeats %d); audit rows %d; api starts %d, worker starts %d; %s",
		rep.Paid, st.Creates, st.IdempotentRepeats, rep.AuditRows, stack.API.Stats().Starts, stack.Worker.Stats().Starts,
		time.Since(began).Round(time.Second))
}

// waitMidStart polls until the campaign is being started: some rows are
// recorded started, not all, and Temporal knows more payout workflows than
// rows are recorded, so a page is out with rows started and not yet
// recorded. Visibility is read first: it only lags the starts, so more
// workflows than the later count of recorded rows means the page is out at
// that later moment. It returns the rows recorded then.
func waitMidStart(ctx context.Context, t *testing.T, stack *chaos.Stack, batchID string, rows int) int {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		workflows, err := stack.PayoutWorkflows(ctx)
		require.NoError(t, err)
		n, err := stack.BatchRowsStarted(ctx, batchID)
		require.NoError(t, err)
		require.Less(t, n, rows, "every row was recorded started before a page was caught in flight")
		if n > 0 && workflows > int64(n) {
			return n
		}
	}
	t.Fatalf("batch %s was not caught mid-start within 2 minutes", batchID)
	return 0
}

// waitHoldEmpty waits until every create held at the door was dropped: the
// dead worker's connections are closed.
func waitHoldEmpty(t *testing.T, stack *chaos.Stack) {
	t.Helper()
	for range 500 {
		if stack.Hold.Waiting() == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d creates still held after the worker was killed", stack.Hold.Waiting())
}

func itoa(n int) string { return strconv.Itoa(n) }
