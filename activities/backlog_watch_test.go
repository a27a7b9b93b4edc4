package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/metrics"
)

type backlogReader struct {
	backlog metrics.Backlog
	err     error
	cutoffs []time.Time
}

func (r *backlogReader) Backlog(_ context.Context, stuckBefore time.Time) (metrics.Backlog, error) {
	r.cutoffs = append(r.cutoffs, stuckBefore)
	return r.backlog, r.err
}

func backlogGauge(t *testing.T, name string) float64 {
	t.Helper()
	got, err := metrics.Registry.Gather()
	require.NoError(t, err)
	for _, f := range got {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}

func TestBacklogWatchReadsWithTheStuckCutoffAndKeepsGaugesOnFailure(t *testing.T) {
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	r := &backlogReader{backlog: metrics.Backlog{Stuck: 5}}
	w := &BacklogWatch{Store: r, StuckAfter: time.Hour, Now: func() time.Time { return now }}
	w.Refresh(context.Background())
	require.Equal(t, []time.Time{now.Add(-time.Hour)}, r.cutoffs, "stuck means older than PAYOUT_STUCK_AFTER")
	assert.Equal(t, 5.0, backlogGauge(t, "payouts_stuck"))
	assert.Equal(t, float64(now.Unix()), backlogGauge(t, "payouts_backlog_read_timestamp_seconds"))

	r.backlog, r.err = metrics.Backlog{}, errors.New("postgres down")
	now = now.Add(time.Minute)
	w.Refresh(context.Background())
	assert.Equal(t, 5.0, backlogGauge(t, "payouts_stuck"), "a failed read changes nothing")
	assert.Equal(t, float64(now.Add(-time.Minute).Unix()), backlogGauge(t, "payouts_backlog_read_timestamp_seconds"),
		"the read time shows how stale the gauges are")
}
