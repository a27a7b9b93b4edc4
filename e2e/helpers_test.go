package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

func bytesReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }

// signedWebhook builds a webhook the way Heleket signs it.
func signedWebhook(uuid, orderID, status string, final bool) string {
	payload := fmt.Sprintf(`{"type":"payout","uuid":%q,"order_id":%q,"amount":"7.00000000","merchant_amount":"7.00000000","commission":"1.00000000","is_final":%t,"status":%q,"currency":"USDT","network":"tron","payer_currency":"USDT","payer_amount":"7.00000000"}`,
		uuid, orderID, final, status)
	return payload[:len(payload)-1] + `,"sign":"` + heleket.SignWebhook([]byte(payload), testenv.APIKey) + `"}`
}

// countWorkflows counts runs of the payout's workflow ID in visibility,
// which is updated asynchronously: it asks until at least one run shows.
func countWorkflows(t *testing.T, e *testenv.Env, id string) int {
	for range 100 {
		resp, err := e.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = %q", payout.WorkflowID(id)),
		})
		require.NoError(t, err)
		if len(resp.Executions) > 0 {
			return len(resp.Executions)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0
}
