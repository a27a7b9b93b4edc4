package config

import (
	"fmt"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/shopspring/decimal"
)

// Funds are the settings of payouts that wait for the merchant balance,
// and of the worker's watch on it. Read apart from Config, like Controls.
type Funds struct {
	// FundsWait: a payout Heleket refused for lack of balance waits this
	// long in awaiting_funds, then fails.
	FundsWait time.Duration `envconfig:"PAYOUT_FUNDS_WAIT" default:"72h"`
	// LowBalanceAlerts, e.g. USDT=100,TON=5: the worker alerts when the
	// merchant balance of an asset falls below its amount.
	LowBalanceAlerts string `envconfig:"LOW_BALANCE_ALERTS"`
	// BalanceEvery is how often the worker reads Heleket's balance for
	// its gauge and the low-balance alerts.
	BalanceEvery time.Duration `envconfig:"BALANCE_REFRESH_EVERY" default:"1m"`
}

// ParsedFunds are Funds checked and parsed.
type ParsedFunds struct {
	FundsWait        time.Duration
	LowBalanceAlerts map[string]decimal.Decimal
	BalanceEvery     time.Duration
}

// LoadFunds reads and checks the funds settings from the environment.
func LoadFunds() (ParsedFunds, error) {
	var f Funds
	if err := envconfig.Process("", &f); err != nil {
		return ParsedFunds{}, fmt.Errorf("config: %w", err)
	}
	return f.Parse()
}

// Parse checks every setting and says which one is wrong.
func (f Funds) Parse() (ParsedFunds, error) {
	if f.FundsWait <= 0 {
		return ParsedFunds{}, fmt.Errorf("PAYOUT_FUNDS_WAIT must be positive, got %s", f.FundsWait)
	}
	if f.BalanceEvery < time.Second {
		return ParsedFunds{}, fmt.Errorf("BALANCE_REFRESH_EVERY must be at least 1s, got %s", f.BalanceEvery)
	}
	low, err := perAsset("LOW_BALANCE_ALERTS", f.LowBalanceAlerts)
	if err != nil {
		return ParsedFunds{}, err
	}
	return ParsedFunds{FundsWait: f.FundsWait, LowBalanceAlerts: low, BalanceEvery: f.BalanceEvery}, nil
}
