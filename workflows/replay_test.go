package workflows_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/tracing"
	"github.com/heleket-payouts/payouts/tracing/temporaltrace"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (RECORD_HISTORIES=1 go test ./e2e/... -run '<tests that call
// checkReplay>') so that a change to the workflows that would break runs
// already in flight fails here first.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "recorded histories are missing from workflows/testdata")
	// With tracing on, the worker's interceptor adds headers and spans but
	// no command: a history recorded with it or without it replays either
	// way, so turning tracing on or off never breaks a run in flight.
	traced, err := temporaltrace.Interceptor(tracing.New(tracetest.NewInMemoryExporter(), nil).Provider)
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			payoutworker.RegisterWorkflows(replayer)
			payoutworker.RegisterReconcileWorkflow(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
		t.Run(filepath.Base(f)+"/traced", func(t *testing.T) {
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				Interceptors: []interceptor.WorkerInterceptor{traced}})
			require.NoError(t, err)
			payoutworker.RegisterWorkflows(replayer)
			payoutworker.RegisterReconcileWorkflow(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// recordedPaths names a recorded history for every path of every
// workflow, with the end-to-end test that records it ("": recorded by code
// from before one of the versions of heleket_calls.go, which no test can
// run any more, and kept).
var recordedPaths = map[string]string{
	// Payout
	"payout_webhook_path":                  "./e2e/ -run TestPayoutOverHTTPEndsPaidWithFullAuditTrail",
	"payout_polling_path":                  "./e2e/ -run TestWebhooksDroppedPayoutEndsPaidByPolling",
	"payout_rejected_path":                 "./e2e/ -run TestHeleketRefusalEndsRejectedAfterOneCreate",
	"payout_approved":                      "./e2e/ -run TestLargePayoutNeedsASecondAdmin",
	"payout_approval_rejected":             "./e2e/ -run TestRejectAndCancelDecisions",
	"payout_approval_expired":              "./e2e/ -run TestRejectedAndExpiredPayoutsNeverReachHeleket",
	"payout_cancelled":                     "./e2e/ -run TestRejectAndCancelDecisions",
	"payout_held_then_cancelled":           "./e2e/ -run TestHeleketsOtherPayoutUnderOurOrderIDIsHeld",
	"payout_awaiting_funds":                "./e2e/ -run TestInsufficientFundsAwaitsThenPaidAfterTopUp",
	"payout_confirmation_retried":          "./e2e/ -run TestFailingConfirmationIsVisibleInState",
	"payout_continue_as_new_first_run":     "./e2e/ -run TestPollingPayoutContinuesAsNewAndEndsPaid",
	"payout_continue_as_new_last_run":      "./e2e/ -run TestPollingPayoutContinuesAsNewAndEndsPaid",
	"payout_traced":                        "./e2e/ -run TestOnePayoutRequestIsOneTraceDownToTheHeleketCall",
	"before_versions_payout_webhook_path":  "",
	"before_versions_payout_polling_path":  "",
	"before_versions_payout_rejected_path": "",
	// ScheduledPayout and its child
	"scheduled_payout_started":         "./e2e/ -run TestScheduledPayoutAndItsChildReplay",
	"scheduled_payout_child":           "./e2e/ -run TestScheduledPayoutAndItsChildReplay",
	"scheduled_payout_already_started": "./e2e/ -run TestScheduledPayoutAndItsChildReplay",
	// Batch (campaigns)
	"batch_started":                   "./e2e/ -run TestCampaignRunsToTheEndAndPages",
	"before_versions_batch_started":   "",
	"batch_paused_resumed":            "./e2e/ -run TestCampaignPauseHoldsRowsAndResumeFinishes",
	"batch_cancelled":                 "./e2e/ -run TestCampaignCancelStopsUnstartedRowsAndStartedOnesArePaid",
	"batch_decision_during_last_page": "./e2e/ -run TestCampaignDecisionDuringTheLastPageIsRefused",
	"batch_continue_as_new_first_run": "./e2e/ -run TestCampaignContinuesAsNew",
	"batch_continue_as_new_last_run":  "./e2e/ -run TestCampaignContinuesAsNew",
	"batch_approved":                  "./e2e/ -run TestCampaignOverTheThresholdWaitsAsAWhole",
	"batch_rejected":                  "./e2e/ -run TestRejectedCampaignStartsNothing",
	// EventStream (outbound events)
	"before_drains_event_stream_delivered":                 "",
	"before_drains_event_stream_retried":                   "",
	"before_drains_event_stream_continue_as_new_first_run": "",
	"before_drains_event_stream_continue_as_new_last_run":  "",
	"event_stream_delivered":                               "./e2e/ -run TestReceiverGetsEveryEventSignedInTheOrderThePayoutMoved",
	"event_stream_retried":                                 "./e2e/ -run TestAReceiverDownForAWhileGetsEverythingOnceBack",
	"event_stream_continue_as_new_first_run":               "./e2e/ -run TestAnEventStreamContinuesAsNewWithoutLosingItsPlace",
	"event_stream_continue_as_new_last_run":                "./e2e/ -run TestAnEventStreamContinuesAsNewWithoutLosingItsPlace",
	// Reconcile
	"reconcile_run":                       "./e2e/reconcile/ -run TestReconciliationHistoriesReplay",
	"reconcile_continue_as_new_first_run": "./e2e/reconcile/ -run TestReconciliationHistoriesReplay",
	"reconcile_continue_as_new_last_run":  "./e2e/reconcile/ -run TestReconciliationHistoriesReplay",
	"reconcile_skipped":                   "./e2e/reconcile/ -run TestRunsNeverOverlap",
	"reconcile_failed":                    "./e2e/reconcile/ -run TestFailedReconciliationHistoryReplays",
}

// TestEveryPathHasARecordedHistory: a path whose history is missing
// would replay nothing, and a change that breaks it would go unseen.
func TestEveryPathHasARecordedHistory(t *testing.T) {
	for name, by := range recordedPaths {
		_, err := os.Stat(filepath.Join("testdata", name+".json"))
		if by == "" {
			assert.NoError(t, err, "%s was recorded before a version and cannot be recorded again: restore it from git", name)
			continue
		}
		assert.NoError(t, err, "record %s with RECORD_HISTORIES=1 go test %s", name, by)
	}
}
