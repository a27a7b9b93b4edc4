package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/schedule"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// fakeSchedules serves one schedule and one default wallet.
type fakeSchedules struct {
	schedule store.Schedule
	wallet   *store.Wallet
}

func (f *fakeSchedules) GetSchedule(_ context.Context, id string) (store.Schedule, error) {
	if id != f.schedule.ID {
		return store.Schedule{}, store.ErrNotFound
	}
	return f.schedule, nil
}

func (f *fakeSchedules) DefaultWallet(context.Context, string, string, string) (store.Wallet, error) {
	if f.wallet == nil {
		return store.Wallet{}, store.ErrNotFound
	}
	return *f.wallet, nil
}

func (f *fakeSchedules) DefaultWallets(context.Context, []store.WalletKey) (map[store.WalletKey]store.Wallet, error) {
	return nil, errors.New("a schedule run reads one wallet")
}

// checkedStore decides as the real store does, with no other payouts in
// the last 24 hours and an address the client was paid to before.
type checkedStore struct{ *fakeStore }

func (c checkedStore) CreatePayoutChecked(ctx context.Context, p payout.Payout, actor string, details map[string]any, check store.Check) (payout.Payout, bool, error) {
	decided, err := check.Decide(p, store.Facts{Destination: store.Destination{PaidBefore: true}})
	if err != nil {
		return payout.Payout{}, false, err
	}
	return c.CreatePayout(ctx, decided, actor, details)
}

func (c checkedStore) CreateBatchChecked(context.Context, store.Batch, []payout.Payout, store.BatchCheck) (store.Batch, bool, error) {
	return store.Batch{}, false, errors.New("a schedule run makes no campaign")
}

var scheduledAt = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

const scheduleID = "payout-schedule-42-monthly"

type scheduledRun struct {
	env      *testsuite.TestWorkflowEnvironment
	store    *fakeStore
	heleket  *fakeHeleket
	children []string
}

func newScheduledRun(t *testing.T, sched *fakeSchedules, withTime bool) *scheduledRun {
	var ts testsuite.WorkflowTestSuite
	r := &scheduledRun{env: ts.NewTestWorkflowEnvironment(), store: newFakeStore(),
		heleket: &fakeHeleket{infos: []string{heleket.StatusPaid}}}
	payoutworker.Register(r.env, &activities.Activities{Store: r.store, Heleket: r.heleket,
		Schedules: sched, Gate: &gate.Gate{Wallets: sched, Payouts: checkedStore{r.store}}, CallbackURL: "http://api/payouts/webhook"})
	if withTime {
		r.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime").ValueSet(scheduledAt)))
	}
	r.env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		r.children = append(r.children, info.WorkflowExecution.ID)
	})
	r.env.ExecuteWorkflow(workflows.ScheduledPayoutWorkflowName,
		workflows.ScheduledPayoutInput{ScheduleID: scheduleID, ClientID: "42", Timing: timing})
	require.True(t, r.env.IsWorkflowCompleted())
	return r
}

func monthly() store.Schedule {
	return store.Schedule{ID: scheduleID, ClientID: "42", Name: "monthly", Asset: "USDT", Network: "tron",
		Amount: decimal.RequireFromString("25"), IsSubtract: true, CreatedBy: "alice"}
}

func TestScheduledPayoutPaysTheDefaultWalletOnceForItsTime(t *testing.T) {
	wallet := store.Wallet{Address: "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}
	r := newScheduledRun(t, &fakeSchedules{schedule: monthly(), wallet: &wallet}, true)
	require.NoError(t, r.env.GetWorkflowError())
	var res workflows.ScheduledPayoutResult
	require.NoError(t, r.env.GetWorkflowResult(&res))

	id := schedule.RunPayoutID("", "42", scheduleID, scheduledAt)
	assert.Equal(t, workflows.ScheduledPayoutResult{PayoutID: id, ScheduledAt: scheduledAt, Started: true}, res)
	assert.Equal(t, []string{payout.WorkflowID(id)}, r.children)
	p := r.store.payouts[id]
	assert.Equal(t, payout.OriginScheduled, p.Origin)
	assert.Equal(t, wallet.Address, p.Address)
	assert.Equal(t, "alice", p.RequestedBy)
	assert.True(t, p.Amount.Equal(decimal.RequireFromString("25")))
}

func TestScheduledPayoutAboveTheThresholdAwaitsApproval(t *testing.T) {
	sc := monthly()
	sc.Address, sc.NeedsApproval = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW", true
	r := newScheduledRun(t, &fakeSchedules{schedule: sc}, true)
	require.NoError(t, r.env.GetWorkflowError())
	id := schedule.RunPayoutID("", "42", scheduleID, scheduledAt)
	assert.Equal(t, []string{payout.WorkflowID(id)}, r.children)
	assert.Equal(t, payout.StatusExpired, r.store.payouts[id].Status,
		"created awaiting approval; nobody approved within the window")
	assert.Zero(t, r.heleket.creates, "never sent to Heleket")
}

func TestScheduledPayoutOfADeletedScheduleIsSkipped(t *testing.T) {
	sc := monthly()
	deleted := scheduledAt
	sc.DeletedAt = &deleted
	r := newScheduledRun(t, &fakeSchedules{schedule: sc}, true)
	require.NoError(t, r.env.GetWorkflowError())
	var res workflows.ScheduledPayoutResult
	require.NoError(t, r.env.GetWorkflowResult(&res))
	assert.False(t, res.Started)
	assert.Contains(t, res.Skipped, "no longer exists")
	assert.Empty(t, r.children)
	assert.Empty(t, r.store.payouts)
}

func TestScheduledPayoutWithoutDefaultWalletFails(t *testing.T) {
	r := newScheduledRun(t, &fakeSchedules{schedule: monthly()}, true)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(r.env.GetWorkflowError(), &appErr))
	assert.Equal(t, activities.ErrTypeNoDefaultWallet, appErr.Type())
	assert.Empty(t, r.children)
}

func TestScheduledPayoutNeedsAScheduledTime(t *testing.T) {
	r := newScheduledRun(t, &fakeSchedules{schedule: monthly()}, false)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(r.env.GetWorkflowError(), &appErr))
	assert.Equal(t, workflows.ErrTypeNotScheduled, appErr.Type())
	assert.Empty(t, r.store.payouts)
}
