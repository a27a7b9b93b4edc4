package config

import (
	"net/netip"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhookGuardDefaultsToARateLimitAndNoAllowList(t *testing.T) {
	for _, k := range []string{"WEBHOOK_ALLOWED_IPS", "TRUSTED_PROXIES", "WEBHOOK_RATE_LIMIT", "WEBHOOK_RATE_BURST"} {
		t.Setenv(k, "") // restores the variable after the test
		require.NoError(t, os.Unsetenv(k))
	}
	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, 50.0, c.WebhookRateLimit)
	assert.Equal(t, 100, c.WebhookRateBurst)
	sources, err := c.WebhookSources()
	require.NoError(t, err)
	assert.Empty(t, sources, "no allow-list unless configured")
}

func TestWebhookGuardSettingsAreChecked(t *testing.T) {
	ok := Config{WebhookAllowedIPs: "31.133.220.8, 10.0.0.0/8 ,2001:db8::/32", TrustedProxies: "127.0.0.1",
		WebhookRateLimit: 0.5, WebhookRateBurst: 1}
	require.NoError(t, ok.checkSecurity())
	sources, err := ok.WebhookSources()
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("31.133.220.8/32"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8::/32")}, sources)
	proxies, err := ok.Proxies()
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, proxies)
	assert.NoError(t, Config{}.checkSecurity(), "rate limit off, no lists")

	for bad, want := range map[string]Config{
		"WEBHOOK_ALLOWED_IPS": {WebhookAllowedIPs: "31.133.220.8/24"},
		"TRUSTED_PROXIES":     {TrustedProxies: "localhost"},
		"WEBHOOK_RATE_LIMIT":  {WebhookRateLimit: -1},
		"WEBHOOK_RATE_BURST":  {WebhookRateLimit: 10},
	} {
		assert.ErrorContains(t, want.checkSecurity(), bad)
	}
	_, err = ParseIPPrefixes("10.1.2.3/8")
	assert.ErrorContains(t, err, "did you mean 10.0.0.0/8")
	_, err = ParseIPPrefixes("::ffff:10.0.0.0/104")
	assert.ErrorContains(t, err, "IPv4-mapped")
}
