package metrics_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"github.com/heleket-payouts/payouts/metrics"
)

func gauge(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	return find(t, name, want).GetGauge().GetValue()
}

func TestBacklogGauges(t *testing.T) {
	reconciled := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	read := reconciled.Add(10 * time.Minute)
	metrics.SetBacklog(metrics.Backlog{Stuck: 3, AwaitingApproval: 2, AwaitingFunds: 1, NeedsAttention: 4, LastReconciled: reconciled}, read)
	assert.Equal(t, 3.0, gauge(t, "payouts_stuck", nil))
	assert.Equal(t, 2.0, gauge(t, "payouts_held", map[string]string{"reason": metrics.HeldApproval}))
	assert.Equal(t, 1.0, gauge(t, "payouts_held", map[string]string{"reason": metrics.HeldFunds}))
	assert.Equal(t, 4.0, gauge(t, "payouts_held", map[string]string{"reason": metrics.HeldAttention}))
	assert.Equal(t, float64(reconciled.Unix()), gauge(t, "payouts_reconcile_last_success_timestamp_seconds", nil))
	assert.Equal(t, float64(read.Unix()), gauge(t, "payouts_backlog_read_timestamp_seconds", nil))

	metrics.SetBacklog(metrics.Backlog{}, read.Add(time.Minute))
	assert.Zero(t, gauge(t, "payouts_stuck", nil))
	assert.Equal(t, float64(reconciled.Unix()), gauge(t, "payouts_reconcile_last_success_timestamp_seconds", nil),
		"a read without a run keeps the last success (no run yet is 0 from the start)")
}

func TestLowBalanceThresholdsAreExportedPerCurrency(t *testing.T) {
	metrics.LowBalanceThresholds(map[string]decimal.Decimal{"USDT": decimal.RequireFromString("100.5"), "NOPE": decimal.NewFromInt(1)})
	assert.Equal(t, 100.5, gauge(t, "payouts_heleket_balance_low_threshold", map[string]string{"currency": "USDT"}))
	assert.Equal(t, 1.0, gauge(t, "payouts_heleket_balance_low_threshold", map[string]string{"currency": "other"}),
		"an unknown currency cannot grow the label set")
}
