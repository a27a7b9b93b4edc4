package activities

import (
	"context"
	"log/slog"
	"time"

	"github.com/heleket-payouts/payouts/metrics"
)

// BacklogReader reads the backlog gauges' values (store.Store).
type BacklogReader interface {
	Backlog(ctx context.Context, stuckBefore time.Time) (metrics.Backlog, error)
}

// DefaultBacklogEvery is how often the worker rereads the backlog: well
// under the alert rules' for-durations, and one cheap query a tick.
const DefaultBacklogEvery = 30 * time.Second

// BacklogWatch keeps the stuck, held and last-reconciliation gauges
// current, like BalanceWatch: a goroutine in each worker process, since
// each serves its own /metrics.
type BacklogWatch struct {
	Store      BacklogReader
	StuckAfter time.Duration // PAYOUT_STUCK_AFTER
	Every      time.Duration
	Logger     *slog.Logger
	Now        func() time.Time // tests; time.Now when nil
}

// Run refreshes until ctx ends.
func (w *BacklogWatch) Run(ctx context.Context) {
	every := w.Every
	if every <= 0 {
		every = DefaultBacklogEvery
	}
	repeat(ctx, every, w.Refresh)
}

// Refresh reads the backlog once. A failed read leaves the gauges as they
// were; payouts_backlog_read_timestamp_seconds then shows their age.
func (w *BacklogWatch) Refresh(ctx context.Context) {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	b, err := w.Store.Backlog(ctx, now.Add(-w.StuckAfter))
	if err != nil {
		if ctx.Err() == nil {
			w.log().Warn("read payout backlog for metrics", "error", err)
		}
		return
	}
	metrics.SetBacklog(b, now)
}

func (w *BacklogWatch) log() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}
