package payout

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// Bounds on any amount the service handles. 18 integer digits is far beyond
// any real payout, and 18 decimals is the finest unit of any supported asset
// (wei); both keep hostile input from producing huge numbers.
const (
	MaxIntegerDigits  = 18
	MaxFractionDigits = 18
	defaultDecimals   = 8
)

// Errors returned by ParseDecimal and ParseAmount; the returned errors wrap
// them with details, so match with errors.Is.
var (
	ErrNotDecimal      = errors.New("not a decimal number")
	ErrNotPositive     = errors.New("must be greater than zero")
	ErrTooManyDigits   = errors.New("too many digits before the decimal point")
	ErrTooManyDecimals = errors.New("too many decimal places")
)

// Only plain digits are money: signs, exponents, hex, thousands separators
// and a bare leading '.' are all ways of misreading an amount.
var plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// decimalsByAsset is the precision Heleket and the chains carry per asset.
var decimalsByAsset = map[string]int{
	"BTC": 8, "LTC": 8, "DOGE": 8, "BCH": 8, "DASH": 8,
	"ETH": 18, "BNB": 18, "POL": 18, "AVAX": 18, "DAI": 18,
	"USDT": 6, "USDC": 6, "TRX": 6,
	"TON": 9, "SOL": 9,
	"XMR": 12,
}

// MaxDecimals is the number of fractional digits an amount of the asset may
// have; unknown assets get 8.
func MaxDecimals(asset string) int {
	if n, ok := decimalsByAsset[NormalizeAsset(asset)]; ok {
		return n
	}
	return defaultDecimals
}

// ParseDecimal checks that s (surrounding spaces aside) is a plain,
// non-negative decimal string within the global digit bounds.
func ParseDecimal(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if !plainDecimal.MatchString(s) {
		return decimal.Decimal{}, notDecimal(s)
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if len(intPart) > MaxIntegerDigits {
		return decimal.Decimal{}, fmt.Errorf("%w (max %d)", ErrTooManyDigits, MaxIntegerDigits)
	}
	if len(frac) > MaxFractionDigits {
		return decimal.Decimal{}, fmt.Errorf("%w (max %d)", ErrTooManyDecimals, MaxFractionDigits)
	}
	return decimal.NewFromString(s)
}

// notDecimal explains a structural failure. A negative number gets the
// clearer positivity message; the input itself is never echoed.
func notDecimal(s string) error {
	if rest, ok := strings.CutPrefix(s, "-"); ok && plainDecimal.MatchString(rest) {
		return ErrNotPositive
	}
	return fmt.Errorf("%w: use digits with an optional '.', like 100.50", ErrNotDecimal)
}

// ParseAmount parses a payout amount of the asset: a plain decimal string,
// greater than zero, with no more decimals than the asset carries.
func ParseAmount(asset, s string) (decimal.Decimal, error) {
	d, err := ParseDecimal(s)
	if err != nil {
		return decimal.Decimal{}, err
	}
	if !d.IsPositive() {
		return decimal.Decimal{}, ErrNotPositive
	}
	// The written precision counts, not the value's: "1.5000000" for USDT
	// most likely means the sender has the asset's decimals wrong.
	if places := MaxDecimals(asset); -d.Exponent() > int32(places) {
		return decimal.Decimal{}, tooManyDecimals(asset, places)
	}
	return d, nil
}

// tooManyDecimals names the asset only when it is a known code, so arbitrary
// input is not echoed back.
func tooManyDecimals(asset string, places int) error {
	if asset = NormalizeAsset(asset); KnownAsset(asset) {
		return fmt.Errorf("%w (max %d for %s)", ErrTooManyDecimals, places, asset)
	}
	return fmt.Errorf("%w (max %d)", ErrTooManyDecimals, places)
}

// Limits caps single payouts per asset.
type Limits struct {
	Max        map[string]decimal.Decimal // per asset, keys as NormalizeAsset gives them
	DefaultMax decimal.Decimal            // for assets not in Max; zero means no limit
}

// For returns the cap for an asset and whether there is one.
func (l Limits) For(asset string) (decimal.Decimal, bool) {
	if m, ok := l.Max[NormalizeAsset(asset)]; ok {
		return m, true
	}
	return l.DefaultMax, l.DefaultMax.IsPositive()
}

// ParseLimits reads per-asset amounts such as "USDT=1000,BTC=0.05" (the
// PAYOUT_MAX_AMOUNTS and APPROVAL_THRESHOLDS settings). An empty spec means
// no entries. Unknown assets, duplicates and non-positive values are
// rejected because each is almost certainly a configuration typo.
func ParseLimits(spec string) (map[string]decimal.Decimal, error) {
	out := map[string]decimal.Decimal{}
	for i, entry := range strings.Split(spec, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		asset, value, err := parseLimit(entry)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		if _, dup := out[asset]; dup {
			return nil, fmt.Errorf("entry %d: %s is listed twice", i+1, asset)
		}
		out[asset] = value
	}
	return out, nil
}

func parseLimit(entry string) (string, decimal.Decimal, error) {
	name, raw, ok := strings.Cut(entry, "=")
	if !ok {
		return "", decimal.Decimal{}, errors.New("want ASSET=AMOUNT")
	}
	asset := NormalizeAsset(name)
	if !KnownAsset(asset) {
		return "", decimal.Decimal{}, fmt.Errorf("unknown asset %q", asset)
	}
	value, err := ParseDecimal(raw)
	if err != nil {
		return "", decimal.Decimal{}, fmt.Errorf("%s: %w", asset, err)
	}
	if !value.IsPositive() {
		return "", decimal.Decimal{}, fmt.Errorf("%s: %w", asset, ErrNotPositive)
	}
	return asset, value, nil
}
