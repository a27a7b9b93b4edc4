package config

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
)

// Controls are the money controls the payout gate applies to every payout,
// whatever its origin. They are read apart from Config so each setting's
// parsing and its error stay next to it.
type Controls struct {
	// Hard caps on rolling 24 h totals per asset, e.g. USDT=1000: a
	// client's and all clients'. A payout past either is refused (422).
	ClientDailyLimits  string `envconfig:"CLIENT_DAILY_LIMITS"`
	DailyOutflowLimits string `envconfig:"DAILY_OUTFLOW_LIMITS"`
	// NewAddressPolicy: allow, approve or refuse a payout to an address
	// that is neither one of the client's wallets nor one it was paid to.
	NewAddressPolicy string `envconfig:"NEW_ADDRESS_POLICY" default:"allow"`
	// WalletChangeCooldown: a new or changed wallet is usable after it
	// (or a second admin's approval); 0 is at once.
	WalletChangeCooldown time.Duration `envconfig:"WALLET_CHANGE_COOLDOWN" default:"0s"`
	// AddressDenylistFile: one address per line (# comments); payouts to
	// them are refused.
	AddressDenylistFile string `envconfig:"ADDRESS_DENYLIST_FILE"`
}

// ParsedControls are Controls checked and parsed.
type ParsedControls struct {
	ClientDailyLimits, DailyOutflowLimits map[string]decimal.Decimal
	NewAddressPolicy                      string
	WalletChangeCooldown                  time.Duration
	Denylist                              []string
}

// LoadControls reads and checks the money controls from the environment.
func LoadControls() (ParsedControls, error) {
	var c Controls
	if err := envconfig.Process("", &c); err != nil {
		return ParsedControls{}, fmt.Errorf("config: %w", err)
	}
	return c.Parse()
}

// Parse checks every setting and says which one is wrong.
func (c Controls) Parse() (ParsedControls, error) {
	var (
		p   ParsedControls
		err error
	)
	if p.ClientDailyLimits, err = perAsset("CLIENT_DAILY_LIMITS", c.ClientDailyLimits); err != nil {
		return ParsedControls{}, err
	}
	if p.DailyOutflowLimits, err = perAsset("DAILY_OUTFLOW_LIMITS", c.DailyOutflowLimits); err != nil {
		return ParsedControls{}, err
	}
	switch p.NewAddressPolicy = strings.ToLower(strings.TrimSpace(c.NewAddressPolicy)); p.NewAddressPolicy {
	case "", "allow":
		p.NewAddressPolicy = "allow"
	case "approve", "refuse":
	default:
		return ParsedControls{}, fmt.Errorf("config: NEW_ADDRESS_POLICY must be allow, approve or refuse, not %q", c.NewAddressPolicy)
	}
	if c.WalletChangeCooldown < 0 {
		return ParsedControls{}, fmt.Errorf("config: WALLET_CHANGE_COOLDOWN must not be negative, got %s", c.WalletChangeCooldown)
	}
	p.WalletChangeCooldown = c.WalletChangeCooldown
	if c.AddressDenylistFile != "" {
		if p.Denylist, err = readDenylist(c.AddressDenylistFile); err != nil {
			return ParsedControls{}, err
		}
	}
	return p, nil
}

func perAsset(name, spec string) (map[string]decimal.Decimal, error) {
	if strings.TrimSpace(spec) == "" {
		return map[string]decimal.Decimal{}, nil
	}
	m, err := payout.ParseLimits(spec)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	return m, nil
}

// readDenylist reads one address per line; blank lines and # comments are
// skipped. A missing file is an error: a denylist that silently lists
// nothing would let everything through.
func readDenylist(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: ADDRESS_DENYLIST_FILE: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t,") {
			return nil, fmt.Errorf("config: ADDRESS_DENYLIST_FILE line %d: one address per line", n)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config: ADDRESS_DENYLIST_FILE: %w", err)
	}
	return out, nil
}
