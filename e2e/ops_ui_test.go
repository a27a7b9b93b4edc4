package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/stuck"
	"github.com/heleket-payouts/payouts/workflows"
)

// opsStuckAddress is a second Tron address; the sandbox is told to leave
// payouts to it in "process" for ever.
const opsStuckAddress = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"

func opsString(t *testing.T, dc converter.DataConverter, p *commonpb.Payload) string {
	t.Helper()
	var s string
	require.NoError(t, dc.FromPayload(p, &s))
	return s
}

func opsHistory(t *testing.T, c client.Client, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		events = append(events, ev)
	}
	return events
}

// opsWaitVisible waits until visibility shows the payout's workflow
// running in one of the statuses; visibility is updated asynchronously.
func opsWaitVisible(t *testing.T, e *testenv.Env, id string, statuses ...string) {
	t.Helper()
	quoted := make([]string, len(statuses))
	for i, s := range statuses {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	q := fmt.Sprintf(`WorkflowId = %q AND ExecutionStatus = "Running" AND PayoutStatus IN (%s)`,
		payout.WorkflowID(id), strings.Join(quoted, ", "))
	for range 300 {
		resp, err := e.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: q})
		require.NoError(t, err)
		if len(resp.Executions) == 1 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("payout %s never showed in visibility as running in %v", id, statuses)
}

func TestPayoutWorkflowShowsSummaryDetailsTimersAndSearchAttributes(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := accepted(t, e, "42", "ui-"+t.Name(), body("100.50", tronAddress))
	require.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status)
	dc := converter.GetDefaultDataConverter()

	desc, err := e.Temporal.DescribeWorkflowExecution(context.Background(), payout.WorkflowID(p.ID), "")
	require.NoError(t, err)
	assert.Equal(t, "USDT 100.5 on tron for client 42 — manual", opsString(t, dc, desc.GetExecutionConfig().GetUserMetadata().GetSummary()))
	sa := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	want := map[string]string{"PayoutStatus": "paid", "PayoutClientID": "42", "PayoutAsset": "USDT", "PayoutNetwork": "tron", "PayoutOrigin": "manual"}
	for name, value := range want {
		require.Contains(t, sa, name)
		assert.Equal(t, value, opsString(t, dc, sa[name]), name)
	}
	for name, v := range sa {
		assert.NotContains(t, string(v.GetData()), tronAddress, "search attribute %s", name)
		assert.NotContains(t, strings.ToLower(name), "address")
		assert.NotContains(t, strings.ToLower(name), "amount")
	}

	var timers, activities []string
	for _, ev := range opsHistory(t, e.Temporal, payout.WorkflowID(p.ID)) {
		summary := ev.GetUserMetadata().GetSummary()
		switch {
		case summary == nil:
		case ev.GetTimerStartedEventAttributes() != nil:
			timers = append(timers, opsString(t, dc, summary))
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			activities = append(activities, opsString(t, dc, summary))
		}
	}
	assert.Contains(t, timers, "waiting for Heleket webhook")
	assert.Contains(t, activities, "create payout at Heleket")
}

func TestStuckPayoutIsFoundThroughVisibilityAndPrinted(t *testing.T) {
	require.True(t, payout.ValidAddress("tron", opsStuckAddress))
	// No polling: a stuck payout sits waiting for its webhook.
	e := testenv.New(t, testenv.Options{Timing: workflows.Timing{WebhookWait: time.Hour, PollInitial: time.Hour, PollMax: time.Hour}})
	e.Sandbox.ForceOutcome(opsStuckAddress, "process")
	paid := accepted(t, e, "61", "stuck-paid-"+t.Name(), body("10", tronAddress))
	rejected := accepted(t, e, "62", "stuck-rejected-"+t.Name(), body("0.000001", tronAddress))
	old := accepted(t, e, "63", "stuck-old-"+t.Name(), body("12", opsStuckAddress))
	t.Cleanup(func() { opsTerminate(e, old.ID) })
	require.Equal(t, payout.StatusPaid, e.WaitFinal(paid.ID).Status)
	require.Equal(t, payout.StatusRejected, e.WaitFinal(rejected.ID).Status)
	opsWaitVisible(t, e, old.ID, "submitted", "processing")

	cutoff := time.Now()
	young := accepted(t, e, "64", "stuck-young-"+t.Name(), body("13", opsStuckAddress))
	t.Cleanup(func() { opsTerminate(e, young.ID) })
	opsWaitVisible(t, e, young.ID, "submitted", "processing")

	list, err := stuck.Find(context.Background(), e.Temporal, stuck.Options{Before: cutoff, TaskQueue: e.TaskQueue})
	require.NoError(t, err)
	require.Len(t, list, 1, "only the payout older than the threshold: %+v", list)
	assert.Equal(t, old.ID, list[0].PayoutID)
	assert.Contains(t, []string{"submitted", "processing"}, list[0].Status)
	assert.Equal(t, "63", list[0].ClientID)
	assert.Equal(t, "USDT", list[0].Asset)
	assert.Equal(t, "tron", list[0].Network)

	all, err := stuck.Find(context.Background(), e.Temporal, stuck.Options{Before: time.Now(), TaskQueue: e.TaskQueue})
	require.NoError(t, err)
	ids := []string{}
	for _, s := range all {
		ids = append(ids, s.PayoutID)
	}
	assert.Equal(t, []string{old.ID, young.ID}, ids, "paid and rejected payouts are never stuck; oldest first")

	// What `payouts stuck` prints.
	var out bytes.Buffer
	require.NoError(t, stuck.Print(&out, list, time.Now(), "http://127.0.0.1:8233", "default"))
	assert.Contains(t, out.String(), old.ID)
	assert.Contains(t, out.String(), "http://127.0.0.1:8233/namespaces/default/workflows/"+payout.WorkflowID(old.ID))
	assert.NotContains(t, out.String(), young.ID)
	assert.NotContains(t, out.String(), opsStuckAddress)

	// The UI's "current details" of the stuck payout say where it waits.
	v, err := e.Temporal.QueryWorkflow(context.Background(), payout.WorkflowID(old.ID), "", "__temporal_workflow_metadata")
	require.NoError(t, err)
	var meta sdkpb.WorkflowMetadata
	require.NoError(t, v.Get(&meta))
	assert.Contains(t, meta.GetCurrentDetails(), "waiting for Heleket webhook")
	assert.Contains(t, meta.GetCurrentDetails(), list[0].Status)
}

func opsTerminate(e *testenv.Env, id string) {
	_ = e.Temporal.TerminateWorkflow(context.Background(), payout.WorkflowID(id), "", "test over") // already closed is fine
}
