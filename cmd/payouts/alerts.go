package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/store"
)

// startAlerts runs the alerts outbox's dispatcher next to the worker until
// ctx ends or stop is called; stop waits for the post in flight. Without
// ALERT_WEBHOOK_URL it says so once and leaves the alerts in the table.
func startAlerts(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) (stop func(), err error) {
	poster, err := alert.New(cfg.AlertWebhookURL, alert.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	d := &alert.Dispatcher{Outbox: st, Channel: poster, RatePerMinute: cfg.AlertRateLimit,
		Every: cfg.AlertPollInterval, BackoffMax: cfg.AlertRetryMax, Logger: log.With("component", "alerts")}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx) })
	return func() { cancel(); wg.Wait() }, nil
}
