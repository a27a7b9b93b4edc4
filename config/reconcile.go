package config

import (
	"errors"
	"net/url"
	"time"
)

func (c Config) checkReconcile() error {
	if c.ReconcileEvery <= 0 || c.ReconcileOverlap < 0 || c.ReconcileLookback <= 0 || c.StuckAfter <= 0 {
		return errors.New("RECONCILE_EVERY, RECONCILE_LOOKBACK and PAYOUT_STUCK_AFTER must be positive, RECONCILE_OVERLAP not negative")
	}
	if c.AlertRateLimit <= 0 || c.AlertPollInterval <= 0 || c.AlertRetryMax <= 0 {
		return errors.New("ALERT_RATE_LIMIT, ALERT_POLL_INTERVAL and ALERT_RETRY_MAX must be positive")
	}
	if c.EventDispatchInterval <= 0 || c.EventDeliveryTimeout <= 0 || c.EventRetryInitial <= 0 ||
		c.EventRetryMax < c.EventRetryInitial || c.EventDeliveryWindow <= 0 || c.EventDeliveryConcurrent <= 0 {
		return errors.New("EVENT_DISPATCH_INTERVAL, EVENT_DELIVERY_TIMEOUT, EVENT_RETRY_INITIAL, EVENT_DELIVERY_WINDOW and " +
			"EVENT_DELIVERY_CONCURRENCY must be positive, EVENT_RETRY_MAX at least EVENT_RETRY_INITIAL")
	}
	if c.EventDeliveryTimeout > 2*time.Minute {
		// A delivery call stops starting posts after 30 s and has five
		// minutes (workflows.EventStream): a post must fit in what is left.
		return errors.New("EVENT_DELIVERY_TIMEOUT must be at most 2m")
	}
	if c.AlertWebhookURL == "" {
		return nil
	}
	u, err := url.Parse(c.AlertWebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL usually embeds a secret token: never echo it.
		return errors.New("ALERT_WEBHOOK_URL: must be an absolute http(s) URL")
	}
	return nil
}
