package stuck_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/stuck"
)

func TestQueryCoversEveryNonFinalStatus(t *testing.T) {
	q := stuck.Query(stuck.Options{Before: time.Date(2026, 11, 28, 10, 0, 0, 0, time.FixedZone("x", 3600)), TaskQueue: "payouts"})
	assert.Equal(t, `ExecutionStatus = "Running" AND PayoutStatus IN ("awaiting_approval", "requested", "awaiting_funds", "submitted", "processing", "verifying") AND StartTime < "2026-11-28T09:00:00Z" AND TaskQueue = "payouts"`, q)
}

func TestPrintShowsLinksAndAges(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	require.NoError(t, stuck.Print(&buf, []stuck.Payout{{
		PayoutID: "abc", WorkflowID: "payout-abc", Status: "processing", ClientID: "42", Asset: "USDT", Network: "tron",
		Started: now.Add(-90*time.Minute - 1500*time.Millisecond),
	}}, now, "http://ui.example:8233/", "default"))
	assert.Contains(t, buf.String(), "PAYOUT")
	assert.Contains(t, buf.String(), "abc")
	assert.Contains(t, buf.String(), "1h30m1s")
	assert.Contains(t, buf.String(), "http://ui.example:8233/namespaces/default/workflows/payout-abc")

	buf.Reset()
	require.NoError(t, stuck.Print(&buf, nil, now, "", "default"))
	assert.Equal(t, "no stuck payouts\n", buf.String())
}
