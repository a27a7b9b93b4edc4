//go:build chaos

package chaos_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/chaos"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

// TestChaos runs CHAOS_PAYOUTS payouts through the API while the monkeys
// break things, then lets everything settle and checks the invariants.
// Replay a run with the CHAOS_SEED it printed.
func TestChaos(t *testing.T) {
	cfg, err := chaos.ConfigFromEnv()
	require.NoError(t, err)
	began := time.Now()
	say := func(format string, args ...any) {
		fmt.Printf("chaos %6s  %s\n", time.Since(began).Round(time.Second), fmt.Sprintf(format, args...))
	}
	say("seed %d, %d payouts; replay with CHAOS_SEED=%d CHAOS_PAYOUTS=%d make chaos", cfg.Seed, cfg.Payouts, cfg.Seed, cfg.Payouts)
	t.Cleanup(func() {
		if t.Failed() {
			say("FAILED; replay with CHAOS_SEED=%d CHAOS_PAYOUTS=%d make chaos", cfg.Seed, cfg.Payouts)
		}
	})

	stack := chaos.StartStack(t, stackOptions(t, cfg, say))
	receiver := subscribeReceiver(t, stack, cfg.Seed)
	installation, err := stack.Store.Installation(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	plan := chaos.NewPlan(installation.ID, cfg.Seed, cfg.Payouts)
	camp := chaos.NewCampaign(installation.ID, cfg.Seed, fmt.Sprintf("chaos-campaign-%d", cfg.Seed), cfg.Campaign,
		len(plan.Items), 20, plan.FailAddresses)
	// The invariants check the campaign's rows with the single payouts.
	all := chaos.Plan{Items: append(append([]chaos.Item{}, plan.Items...), camp.Items...), FailAddresses: plan.FailAddresses}
	for _, addr := range plan.FailAddresses {
		stack.Sandbox.ForceOutcome(addr, heleket.StatusFail)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.MaxChaos+2*cfg.Settle+10*cfg.MinChaos)
	defer cancel()

	sum := chaos.Summary{Seed: cfg.Seed, Payouts: len(all.Items),
		Campaign: chaos.CampaignSummary{Rows: len(camp.Rows), Failing: camp.Failing()}}
	client := stack.Client()
	phase := time.Now()
	sum.Load, sum.Campaign.Posted, sum.Monkeys = runChaos(ctx, t, cfg, stack, plan, camp, client, say)
	sum.Chaos, phase = time.Since(phase), time.Now()
	settle(ctx, t, cfg, sum.Load.Accepted+len(camp.Rows), stack, say)
	sum.Settle = time.Since(phase)
	verify(ctx, t, stack, client, all, &sum, say)
	checkCampaign(ctx, t, cfg, stack, client, camp, &sum)
	checkEvents(ctx, t, cfg, stack, receiver, all, &sum, say)
	sum.Total = time.Since(began)
	sum.Print(os.Stdout)
	report(t, sum)
}

// verify reads both sides, runs the invariants and reconciliation, and
// fills the summary's figures.
func verify(ctx context.Context, t *testing.T, stack *chaos.Stack, client *chaos.Client, plan chaos.Plan,
	sum *chaos.Summary, say func(string, ...any)) {
	snap, err := stack.Snapshot(ctx, plan)
	require.NoError(t, err)
	sum.Report = chaos.Check(snap)
	sum.Reconcile = reconcile(ctx, t, stack, client, plan, &sum.Report, say)
	sum.Report.Violations = append(sum.Report.Violations, sum.Load.Problems...)
	sum.Report.Violations = append(sum.Report.Violations, stack.Crashes()...)
	sum.Inbox[0], sum.Inbox[1], err = stack.Inbox(ctx)
	require.NoError(t, err)
	sum.Client, sum.Worker, sum.API = client.Stats(), chaos.AllStats(stack.Workers), chaos.AllStats(stack.APIs)
	sum.Instances, sum.TemporalPersistence = len(stack.APIs), stack.TemporalPersistence()
	sum.DBDropped, sum.Sandbox = stack.Proxy.Dropped(), stack.Sandbox.Stats()
}

// checkCampaign: the campaign's workflow completed, every row started and
// final; its rows' payouts were checked with the others.
func checkCampaign(ctx context.Context, t *testing.T, cfg chaos.Config, stack *chaos.Stack, client *chaos.Client,
	camp chaos.Campaign, sum *chaos.Summary) {
	if len(camp.Rows) == 0 {
		return
	}
	wf, err := stack.WaitBatchWorkflow(ctx, camp.ID, int(cfg.Settle/(200*time.Millisecond)))
	if err != nil {
		t.Errorf("campaign: %v", err)
	}
	sum.Campaign.Final, err = client.Batch(ctx, camp.ID)
	require.NoError(t, err)
	sum.Report.Violations = append(sum.Report.Violations, chaos.CheckCampaign(camp, sum.Campaign.Final, wf)...)
}

// subscribeReceiver points an endpoint of every event at a receiver that
// refuses a tenth of the deliveries: the worker kills land between
// changes and their deliveries, and between posts and their records.
func subscribeReceiver(t *testing.T, stack *chaos.Stack, seed int64) *testenv.EventReceiver {
	r := testenv.NewEventReceiver(t)
	r.SetFlaky(0.1, seed)
	secret, err := stack.Client().CreateEventEndpoint(context.Background(), r.URL(), "*")
	require.NoError(t, err)
	r.SetSecret(secret)
	return r
}

// checkEvents waits for the receiver to have everything, then checks it
// saw each payout's events in the order the payout moved.
func checkEvents(ctx context.Context, t *testing.T, cfg chaos.Config, stack *chaos.Stack, r *testenv.EventReceiver,
	plan chaos.Plan, sum *chaos.Summary, say func(string, ...any)) {
	say("waiting for the outbound events to be delivered")
	pending, err := stack.WaitEventsDelivered(ctx, int(cfg.Settle/(200*time.Millisecond)))
	require.NoError(t, err)
	snap, err := stack.Snapshot(ctx, plan)
	require.NoError(t, err)
	sum.Events.Unique, sum.Events.Duplicates = r.Unique()
	sum.Events.Refused, sum.Events.BadSignatures, sum.Events.Pending = r.Refused(), len(r.BadSignatures()), pending
	sum.Report.Violations = append(sum.Report.Violations, chaos.CheckEvents(snap, r.OfPayout, sum.Events)...)
}

func stackOptions(t *testing.T, cfg chaos.Config, say func(string, ...any)) chaos.StackOptions {
	dir := logDir(t, cfg.LogDir, "payouts-chaos-", say)
	return chaos.StackOptions{Seed: cfg.Seed, Bin: cfg.Bin, LogDir: dir,
		WebhookWait: 3 * time.Second, PollInitial: 500 * time.Millisecond, PollMax: 2 * time.Second,
		SettleAfter: time.Second, CheckAfter: 400 * time.Millisecond,
		Instances: 2, OwnPostgres: true,
		// Small pages, so the monkeys' kills land while the campaign's
		// rows are being started.
		Env: append([]string{"BATCH_PAGE_SIZE=10"}, moneyControls(t, dir)...)}
}

// logDir is dir, or a temporary directory removed unless the test fails.
func logDir(t *testing.T, dir, prefix string, say func(string, ...any)) string {
	if dir != "" {
		require.NoError(t, os.MkdirAll(dir, 0o755))
	} else {
		var err error
		dir, err = os.MkdirTemp("", prefix)
		require.NoError(t, err)
		t.Cleanup(func() {
			if !t.Failed() {
				_ = os.RemoveAll(dir)
			}
		})
	}
	say("logs of the api, the worker and Temporal in %s (kept when the test fails)", dir)
	return dir
}

// moneyControls turns every money control on, set so that none refuses
// or holds a planned payout: the run pays through the caps' locks and the
// destination and denylist checks, as production with controls on does.
func moneyControls(t *testing.T, dir string) []string {
	deny := filepath.Join(dir, "denylist")
	require.NoError(t, os.WriteFile(deny, []byte("# an address no plan draws\nTXYZ1111111111111111111111111111111\n"), 0o600))
	return []string{
		"CLIENT_DAILY_LIMITS=USDT=100000000,TRX=100000000",
		"DAILY_OUTFLOW_LIMITS=USDT=100000000000,TRX=100000000000",
		"NEW_ADDRESS_POLICY=allow",
		"WALLET_CHANGE_COOLDOWN=1h",
		"ADDRESS_DENYLIST_FILE=" + deny,
	}
}

// runChaos sends the payouts with the monkeys loose, posts the campaign
// once a third of them are accepted, and keeps the monkeys loose for
// MinChaos, for Tail after the last acceptance, and until FinalShare of
// the payouts is final (at most MaxChaos).
func runChaos(ctx context.Context, t *testing.T, cfg chaos.Config, stack *chaos.Stack, plan chaos.Plan, camp chaos.Campaign,
	client *chaos.Client, say func(string, ...any)) (chaos.LoadResult, chaos.CampaignResult, chaos.MonkeyStats) {
	monkeys := chaos.Unleash(stack, cfg.Seed)
	load := &chaos.Load{Client: client, Concurrency: cfg.Concurrency, Pace: cfg.MinChaos / time.Duration(cfg.Payouts)}
	done := make(chan chaos.LoadResult, 1)
	go func() { done <- load.Run(ctx, plan.Items) }()
	posted := make(chan chaos.CampaignResult, 1)
	go func() { posted <- postCampaign(ctx, t, load, cfg.Payouts/3, client, camp, say) }()
	minEnd, maxEnd := time.Now().Add(cfg.MinChaos), time.Now().Add(cfg.MaxChaos)
	need := int(cfg.FinalShare * float64(cfg.Payouts))
	var res chaos.LoadResult
	var campRes chaos.CampaignResult
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for loaded, campaigned := false, false; ; {
		select {
		case res = <-done:
			loaded, minEnd = true, later(minEnd, time.Now().Add(cfg.Tail))
			say("all %d payouts answered (%d accepted)", cfg.Payouts, res.Accepted)
		case campRes = <-posted:
			campaigned = true
		case <-tick.C:
			final := progress(ctx, stack, load, monkeys, cfg.Payouts, say)
			if loaded && campaigned && time.Now().After(minEnd) && (final >= need || time.Now().After(maxEnd)) {
				require.NoError(t, monkeys.Calm())
				say("faults off: sandbox faults cleared, Postgres reachable, api and worker running")
				return res, campRes, monkeys.Stats()
			}
		case <-ctx.Done():
			t.Fatalf("chaos phase: %v", ctx.Err())
		}
	}
}

// postCampaign posts the campaign once after payouts are accepted, so it
// meets the faults while the load goes on.
func postCampaign(ctx context.Context, t *testing.T, load *chaos.Load, after int, client *chaos.Client, camp chaos.Campaign,
	say func(string, ...any)) chaos.CampaignResult {
	if len(camp.Rows) == 0 {
		return chaos.CampaignResult{}
	}
	for load.Accepted() < after && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	res, err := client.CreateCampaign(ctx, camp)
	if err != nil {
		t.Errorf("campaign: %v", err)
		return res
	}
	if res.Batch.ID != camp.ID {
		t.Errorf("campaign: accepted as batch %q, want %q", res.Batch.ID, camp.ID)
	}
	say("campaign of %d rows accepted after %d requests", len(camp.Rows), res.Attempts)
	return res
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// progress prints a line and returns how many payouts are final.
func progress(ctx context.Context, stack *chaos.Stack, load *chaos.Load, monkeys *chaos.Monkeys, n int, say func(string, ...any)) int {
	counts, err := stack.StatusCounts(ctx)
	if err != nil {
		say("progress: %v", err)
		return 0
	}
	final, _ := chaos.Final(counts)
	m, st := monkeys.Stats(), stack.Sandbox.Stats()
	say("accepted %d/%d · final %d · worker kills %d (after create %d) · api restarts %d · db cuts %d · pg restarts %d · "+
		"temporal kills %d · creates %d (repeats %d)",
		load.Accepted(), n, final, m.WorkerKills+m.WorkerTerms+m.KillsAfterCreate, m.KillsAfterCreate,
		m.APIKills+m.APITerms, m.DBCuts, m.PostgresRestarts, m.TemporalKills, st.Creates, st.IdempotentRepeats)
	return final
}

// settle waits, bounded, for every accepted payout to be final and every
// payout workflow to be closed. A timeout is reported, and the invariants
// still run to show what is wrong.
func settle(ctx context.Context, t *testing.T, cfg chaos.Config, accepted int, stack *chaos.Stack, say func(string, ...any)) {
	attempts := int(cfg.Settle / (2 * time.Second))
	if err := stack.WaitFinal(ctx, accepted, attempts, say); err != nil {
		t.Errorf("settle: %v", err)
		return
	}
	say("every payout is final; waiting for the workflows to close")
	if err := stack.WaitWorkflowsClosed(ctx, attempts); err != nil {
		t.Errorf("settle: %v", err)
	}
	broken, err := stack.BrokenWorkflows(ctx)
	require.NoError(t, err)
	for status, n := range broken {
		t.Errorf("%d payout workflows ended %s", n, status)
	}
}

// reconcile runs reconciliation through the API and adds what it found
// to the report.
func reconcile(ctx context.Context, t *testing.T, stack *chaos.Stack, client *chaos.Client, plan chaos.Plan,
	r *chaos.Report, say func(string, ...any)) chaos.RunResult {
	say("running reconciliation")
	run, err := client.Reconcile(ctx, 600)
	if err != nil {
		t.Errorf("reconciliation: %v", err)
		return run
	}
	open, err := stack.OpenDiscrepancies(ctx)
	require.NoError(t, err)
	r.Violations = append(r.Violations, chaos.CheckReconciliation(plan, run, open)...)
	return run
}

func report(t *testing.T, sum chaos.Summary) {
	const shown = 50
	for i, v := range sum.Report.Violations {
		if i == shown {
			t.Errorf("… and %d more violations", len(sum.Report.Violations)-shown)
			break
		}
		t.Errorf("invariant: %s", v)
	}
	require.Zero(t, sum.Report.Duplicates, "payouts made more than once")
	require.Zero(t, sum.Report.Lost, "payouts lost")
	require.Equal(t, sum.Payouts, sum.Report.Paid+sum.Report.Failed, "payouts final")
}
