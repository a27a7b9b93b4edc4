//go:build chaos

package chaos_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/chaos"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/payout"
)

// rollingChange is the change id of workflows/rolling_v2.go
// (versionRollingPause in workflows/heleket_calls.go).
const rollingChange = "rolling-deploy-pause-before-submit"

const (
	secondAdmin      = "second"
	secondAdminToken = "chaos-second-admin-token-000000"
)

// TestRollingDeploy replaces the workers with a build whose payout
// workflow has a change guarded by GetVersion (-tags rolling_v2: a timer
// before the create), while payouts are in flight: some submitted and
// polling (the sandbox drops every webhook and holds them in process),
// some waiting for a second admin's approval. The v2 workers start, the
// v1 ones get SIGTERM, the held payouts are approved and the polling ones
// settle: every payout must end paid, created once at Heleket, with its
// audit trail; those submitted by v2 took the new path (the version
// marker is in their history), those submitted by v1 did not.
func TestRollingDeploy(t *testing.T) {
	const polling, held = 8, 4
	began := time.Now()
	say := func(format string, args ...any) {
		fmt.Printf("rolling %6s  %s\n", time.Since(began).Round(time.Second), fmt.Sprintf(format, args...))
	}
	dir := logDir(t, os.Getenv("CHAOS_LOG_DIR"), "payouts-rolling-", say)
	v1 := os.Getenv("CHAOS_BIN")
	if v1 == "" {
		v1 = chaos.BuildBinary(t, dir)
	}
	v2 := chaos.BuildTagged(t, filepath.Join(dir, "payouts-v2"), "rolling_v2")
	say("built the v2 worker (-tags rolling_v2)")
	stack := chaos.StartStack(t, chaos.StackOptions{Seed: 17, Bin: v1, LogDir: dir, Instances: 2,
		WebhookWait: time.Second, PollInitial: 300 * time.Millisecond, PollMax: time.Second,
		// Submitted payouts stay in process until the test settles them.
		SettleAfter: time.Hour,
		Env: []string{"APPROVAL_THRESHOLDS=USDT=1000",
			"ADMIN_TOKENS=" + chaos.AdminName + ":" + chaos.AdminToken + "," + secondAdmin + ":" + secondAdminToken}})
	stack.Sandbox.SetFaults(sandbox.Faults{WebhookDropRate: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	installation, err := stack.Store.Installation(ctx)
	require.NoError(t, err)
	items := rollingItems(installation.ID, polling, held)
	client := stack.Client()
	for _, it := range items {
		_, err := client.CreatePayout(ctx, it)
		require.NoError(t, err)
	}
	waitStatus(ctx, t, stack, map[payout.Status]int{payout.StatusProcessing: polling, payout.StatusAwaitingApproval: held})
	say("v1 in flight: %d payouts polling in processing, %d awaiting approval", polling, held)

	for i := range 2 {
		stack.StartWorker(t, 2+i, v2)
	}
	for i, w := range stack.Workers[:2] {
		require.True(t, w.Term(), "v1 worker %d was running", i+1)
	}
	say("v2 workers started; v1 workers stopped with SIGTERM")

	stack.Sandbox.SetSettleAfter(time.Second)
	approver := stack.Client()
	approver.Token = secondAdminToken
	for _, it := range items[polling:] {
		require.NoError(t, approver.Approve(ctx, it.ID))
	}
	for _, p := range stack.Sandbox.Payouts() {
		require.NoError(t, stack.Sandbox.SetStatus(p.OrderID, heleket.StatusPaid))
	}
	say("held payouts approved, polling ones paid at Heleket (webhooks still dropped)")
	require.NoError(t, stack.WaitFinal(ctx, len(items), 60, say))
	require.NoError(t, stack.WaitWorkflowsClosed(ctx, 30))

	snap, err := stack.Snapshot(ctx, chaos.Plan{Items: items})
	require.NoError(t, err)
	rep := chaos.Check(snap)
	assert.Empty(t, append(rep.Violations, stack.Crashes()...))
	assert.Equal(t, len(items), rep.Paid, "payouts paid")
	assert.Zero(t, rep.Duplicates, "payouts made more than once")
	assert.Zero(t, rep.Lost, "payouts lost")
	assert.Equal(t, len(items), snap.Stats.Creates, "one create at Heleket per payout")
	for i, it := range items {
		marked, err := stack.HasVersionMarker(ctx, it.ID, rollingChange)
		require.NoError(t, err)
		assert.Equal(t, i >= polling, marked, "payout %d: version marker of %s (only payouts submitted by v2)", i, rollingChange)
	}
	say("%d payouts paid once each (creates %d, audit rows %d) across the deploy", rep.Paid, snap.Stats.Creates, rep.AuditRows)
}

// rollingItems: polling ones under the approval threshold, held ones over
// it, each of its own client so no client's 24 h total holds a small one.
func rollingItems(installation string, polling, held int) []chaos.Item {
	var items []chaos.Item
	for i := range polling + held {
		amount := fmt.Sprintf("%d.25", 20+i)
		if i >= polling {
			amount = fmt.Sprintf("%d.50", 5000+i)
		}
		it := chaos.Item{Index: i, ClientID: fmt.Sprintf("rolling-%d", i), Key: fmt.Sprintf("rolling-%d", i),
			Asset: "USDT", Network: "tron", Amount: amount, Address: "TRaDepLoyRaDepLoyRaDepLoyRaDepoy" + string(base58[i/58]) + string(base58[i%58])}
		it.ID = payout.DeriveID(installation, "api", it.ClientID, it.Key)
		items = append(items, it)
	}
	return items
}

const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// waitStatus waits until the payouts are in the statuses counted.
func waitStatus(ctx context.Context, t *testing.T, stack *chaos.Stack, want map[payout.Status]int) {
	t.Helper()
	var counts map[payout.Status]int
	for range 300 {
		var err error
		counts, err = stack.StatusCounts(ctx)
		require.NoError(t, err)
		if equalCounts(counts, want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("payouts by status %v, want %v", counts, want)
}

func equalCounts(a, b map[payout.Status]int) bool {
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
