package config

import (
	"errors"
	"net/url"
)

func (c Config) checkReconcile() error {
	if c.ReconcileEvery <= 0 || c.ReconcileOverlap < 0 || c.ReconcileLookback <= 0 || c.StuckAfter <= 0 {
		return errors.New("RECONCILE_EVERY, RECONCILE_LOOKBACK and PAYOUT_STUCK_AFTER must be positive, RECONCILE_OVERLAP not negative")
	}
	if c.AlertRateLimit <= 0 || c.AlertPollInterval <= 0 || c.AlertRetryMax <= 0 {
		return errors.New("ALERT_RATE_LIMIT, ALERT_POLL_INTERVAL and ALERT_RETRY_MAX must be positive")
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
