package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
)

func TestDevSandboxHonoursTheSandboxSettings(t *testing.T) {
	t.Setenv("SANDBOX_ADDR", "127.0.0.1:0")
	t.Setenv("SANDBOX_BALANCES", "USDT=1234.5")
	t.Setenv("SANDBOX_5XX_RATE", "0.25")
	t.Setenv("SANDBOX_WEBHOOK_DELAY", "2s")
	t.Setenv("SANDBOX_LATENCY", "5ms")
	var cfg config.Config
	sb, err := startDevSandbox(&cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	assert.True(t, decimal.RequireFromString("1234.5").Equal(sb.Balance("USDT")), "SANDBOX_BALANCES, got %s", sb.Balance("USDT"))
	f := sb.Faults()
	assert.Equal(t, 0.25, f.ServerErrorRate, "SANDBOX_5XX_RATE")
	assert.Equal(t, 2*time.Second, f.WebhookDelay, "SANDBOX_WEBHOOK_DELAY")
	assert.Equal(t, 5*time.Millisecond, f.Latency, "SANDBOX_LATENCY")
	assert.Equal(t, sb.URL(), cfg.HeleketProjectURL, "the service talks to the sandbox it started")
	assert.Equal(t, sandbox.DevMerchantID, cfg.HeleketMerchantID)
	assert.Equal(t, sandbox.DevAPIKey, cfg.HeleketAPIKey)
}
