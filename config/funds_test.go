package config

import (
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadFundsDefaults(t *testing.T) {
	for _, k := range []string{"PAYOUT_FUNDS_WAIT", "LOW_BALANCE_ALERTS", "BALANCE_REFRESH_EVERY"} {
		t.Setenv(k, "") // restored after the test
		require.NoError(t, os.Unsetenv(k))
	}
	f, err := LoadFunds()
	require.NoError(t, err)
	assert.Equal(t, 72*time.Hour, f.FundsWait)
	assert.Equal(t, time.Minute, f.BalanceEvery)
	assert.Empty(t, f.LowBalanceAlerts)
}

func TestLoadFundsParses(t *testing.T) {
	t.Setenv("PAYOUT_FUNDS_WAIT", "90m")
	t.Setenv("LOW_BALANCE_ALERTS", "USDT=100, TON=5.5")
	t.Setenv("BALANCE_REFRESH_EVERY", "30s")
	f, err := LoadFunds()
	require.NoError(t, err)
	assert.Equal(t, 90*time.Minute, f.FundsWait)
	assert.Equal(t, 30*time.Second, f.BalanceEvery)
	require.Len(t, f.LowBalanceAlerts, 2)
	assert.True(t, f.LowBalanceAlerts["USDT"].Equal(decimal.NewFromInt(100)))
	assert.True(t, f.LowBalanceAlerts["TON"].Equal(decimal.RequireFromString("5.5")))
}

func TestLoadFundsRefusesBadValues(t *testing.T) {
	for name, env := range map[string][2]string{
		"zero wait":      {"PAYOUT_FUNDS_WAIT", "0s"},
		"negative wait":  {"PAYOUT_FUNDS_WAIT", "-1h"},
		"bad thresholds": {"LOW_BALANCE_ALERTS", "USDT=lots"},
		"tight refresh":  {"BALANCE_REFRESH_EVERY", "10ms"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(env[0], env[1])
			_, err := LoadFunds()
			require.Error(t, err)
			assert.Contains(t, err.Error(), env[0])
		})
	}
}
