package activities

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/metrics"
)

// AlertOutbox takes alerts for the worker's dispatcher (store.Store).
type AlertOutbox interface {
	RaiseAlert(ctx context.Context, a alert.Alert) (bool, error)
}

// BalanceWatch keeps the balance gauge current and alerts when a balance
// crosses below its threshold: once per crossing, not on every refresh
// while it stays low, and again only after it has recovered.
//
// It runs as a goroutine in each worker process rather than as an
// activity: the gauge lives in the process's own /metrics, so every
// worker must refresh its own (an activity would update whichever worker
// ran it and leave the others stale), and a periodic read that changes
// nothing in Postgres or Temporal needs no durable history.
type BalanceWatch struct {
	Funds      Funds
	Outbox     AlertOutbox
	Logger     *slog.Logger
	Thresholds map[string]decimal.Decimal // per asset, upper case
	Every      time.Duration

	mu  sync.Mutex
	low map[string]bool // currency -> below its threshold at the last read
}

// Run refreshes until ctx ends. Without a balance reader it does nothing
// but export the thresholds.
func (w *BalanceWatch) Run(ctx context.Context) {
	metrics.LowBalanceThresholds(w.Thresholds)
	if w.Funds == nil {
		return
	}
	every := w.Every
	if every <= 0 {
		every = time.Minute
	}
	repeat(ctx, every, w.Refresh)
}

// Refresh reads the balance once, sets the gauges and alerts on the
// crossings. A balance that cannot be read changes nothing: the gauges
// keep their last value and no crossing is assumed.
func (w *BalanceWatch) Refresh(ctx context.Context) {
	b, err := w.Funds.Balance(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log().Warn("read Heleket balance", "error", err)
		}
		return
	}
	for _, cur := range b.Currencies() {
		metrics.HeleketBalance(cur, b[cur])
	}
	for _, cur := range w.crossings(b) {
		bal, _ := b.Of(cur)
		w.alertLowBalance(ctx, cur, bal, w.Thresholds[cur])
	}
}

// crossings are the currencies that went below their threshold since the
// last read; a currency Heleket does not list holds nothing.
func (w *BalanceWatch) crossings(b map[string]decimal.Decimal) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.low == nil {
		w.low = map[string]bool{}
	}
	var out []string
	for cur, threshold := range w.Thresholds {
		low := b[cur].LessThan(threshold)
		if low && !w.low[cur] {
			out = append(out, cur)
		}
		w.low[cur] = low
	}
	return out
}

// alertLowBalance is the one place a low-balance alert is raised. The
// outbox keys it per currency and day (alert.LowBalance), so several
// workers seeing the same crossing raise one alert.
func (w *BalanceWatch) alertLowBalance(ctx context.Context, currency string, balance, threshold decimal.Decimal) {
	w.log().Warn("low Heleket balance", "currency", currency, "balance", balance.String(), "threshold", threshold.String())
	if w.Outbox == nil {
		return
	}
	al := alert.LowBalance(currency, balance.String(), threshold.String(), time.Now().UTC())
	if _, err := w.Outbox.RaiseAlert(ctx, al); err != nil {
		w.log().Error("raise low-balance alert", "currency", currency, "error", err)
		// Not raised: the next refresh takes it as a crossing again.
		w.mu.Lock()
		w.low[currency] = false
		w.mu.Unlock()
	}
}

func (w *BalanceWatch) log() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}
