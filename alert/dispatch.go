package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/heleket-payouts/payouts/metrics"
)

// The dispatcher is a loop in the worker process, not a Temporal workflow:
// the outbox table is already the durable queue (raised in the same
// transactions as the changes that cause alerts), and a workflow would
// only add a second queue and a history event per alert. A loop polling
// a partial index once a second is cheap, immediate enough for a chat
// channel, and safe with several workers: rows are claimed under a lease,
// and the rate limit is counted in the table, so it holds overall.

// Defaults of Dispatcher.
const (
	DefaultRatePerMinute = 30
	DefaultEvery         = time.Second
	DefaultBackoffMin    = 5 * time.Second
	DefaultBackoffMax    = 10 * time.Minute
	// claimBatch alerts are claimed at once, under a lease long enough to
	// post them all at DefaultTimeout each; a dispatcher that dies lets
	// them go when the lease ends, and another one posts them.
	claimBatch = 10
	claimLease = 2 * claimBatch * DefaultTimeout
	rateWindow = time.Minute
)

// Claim asks the outbox for alerts to post now: due, not held by another
// dispatcher, oldest first, at most Max, and no more than leaves RateLimit
// posts in the Window before Now.
type Claim struct {
	Now       time.Time
	Max       int
	RateLimit int
	Window    time.Duration
	Lease     time.Duration
}

// Outbox is where alerts wait until the channel takes them (store.Store).
type Outbox interface {
	ClaimAlerts(ctx context.Context, c Claim) ([]Record, error)
	MarkAlertDelivered(ctx context.Context, id int64, at time.Time) error
	MarkAlertFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error
}

// Channel takes alerts (*Poster).
type Channel interface {
	Post(ctx context.Context, m Message) error
}

// Dispatcher posts the outbox's alerts to the channel, each until the
// channel takes it, with backoff, at most RatePerMinute posts a minute
// overall; the rest wait, none is dropped. Delivery is at least once: a
// worker that dies between a post and its mark posts that alert again.
type Dispatcher struct {
	Outbox  Outbox
	Channel Channel
	// RatePerMinute is ALERT_RATE_LIMIT; 0 takes DefaultRatePerMinute.
	RatePerMinute int
	// Every is how often the outbox is read (ALERT_POLL_INTERVAL).
	Every time.Duration
	// BackoffMin doubles after each failed post of an alert, up to
	// BackoffMax (ALERT_RETRY_MAX).
	BackoffMin, BackoffMax time.Duration
	// Now is the clock; tests inject one.
	Now    func() time.Time
	Logger *slog.Logger
}

// Run dispatches until ctx ends. A disabled channel (no ALERT_WEBHOOK_URL)
// dispatches nothing: the alerts stay in the outbox, pending, to be read
// there or posted once a URL is set.
func (d *Dispatcher) Run(ctx context.Context) {
	if p, ok := d.Channel.(interface{ Enabled() bool }); ok && !p.Enabled() {
		d.log().Info("ALERT_WEBHOOK_URL is empty: alerts are recorded in the alerts table, not posted")
		return
	}
	every := d.Every
	if every <= 0 {
		every = DefaultEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		// A full tick means more may be due: go on without waiting.
		n, err := d.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			d.log().Error("alert dispatch; the next tick retries", "error", err)
		}
		if n == claimBatch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick posts what is due now and returns how many alerts it tried.
func (d *Dispatcher) Tick(ctx context.Context) (int, error) {
	recs, err := d.Outbox.ClaimAlerts(ctx, Claim{Now: d.now(), Max: claimBatch, RateLimit: d.rate(),
		Window: rateWindow, Lease: claimLease})
	if err != nil {
		return 0, fmt.Errorf("claim alerts: %w", err)
	}
	var errs []error
	for _, r := range recs {
		errs = append(errs, d.post(ctx, r))
	}
	return len(recs), errors.Join(errs...)
}

func (d *Dispatcher) post(ctx context.Context, r Record) error {
	err := d.Channel.Post(ctx, r.Message)
	at := d.now()
	if err == nil {
		metrics.AlertDelivered(r.Message.Kind)
		d.log().Info("alert delivered", "alert_id", r.ID, "kind", r.Message.Kind, "payout_id", r.Message.PayoutID,
			"attempts", r.Attempts)
		if err := d.Outbox.MarkAlertDelivered(ctx, r.ID, at); err != nil {
			// Posted again when its lease ends: twice rather than never.
			return fmt.Errorf("mark alert %d delivered: %w", r.ID, err)
		}
		return nil
	}
	metrics.AlertFailed(r.Message.Kind)
	retry := at.Add(d.backoff(r.Attempts))
	d.log().Warn("alert not delivered; retried later", "alert_id", r.ID, "kind", r.Message.Kind,
		"payout_id", r.Message.PayoutID, "attempts", r.Attempts, "retry_at", retry, "error", err)
	if err := d.Outbox.MarkAlertFailed(ctx, r.ID, err.Error(), retry); err != nil {
		return fmt.Errorf("mark alert %d failed: %w", r.ID, err)
	}
	return nil
}

// backoff is the wait after the attempts-th failed post.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	lo, hi := d.BackoffMin, d.BackoffMax
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	if hi <= 0 {
		hi = DefaultBackoffMax
	}
	wait := lo
	for i := 1; i < attempts && wait < hi; i++ {
		wait *= 2
	}
	return min(wait, hi)
}

func (d *Dispatcher) rate() int {
	if d.RatePerMinute <= 0 {
		return DefaultRatePerMinute
	}
	return d.RatePerMinute
}

func (d *Dispatcher) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Logger == nil {
		return slog.Default()
	}
	return d.Logger
}
