package main

import (
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/httpapi"
)

// webhookGuard is the webhook route's allow-list and rate limit from the
// configuration (checked already by config.Load).
func webhookGuard(cfg config.Config) (httpapi.WebhookGuard, error) {
	sources, err := cfg.WebhookSources()
	if err != nil {
		return httpapi.WebhookGuard{}, err
	}
	proxies, err := cfg.Proxies()
	if err != nil {
		return httpapi.WebhookGuard{}, err
	}
	return httpapi.WebhookGuard{AllowedSources: sources, TrustedProxies: proxies,
		Rate: cfg.WebhookRateLimit, Burst: cfg.WebhookRateBurst}, nil
}
