package sandbox

import (
	"regexp"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
)

type serviceKey struct{ currency, network string }

// service is one payout route with its limits and commission. Values are
// plausible, not Heleket's: tests need fixed numbers, not real tariffs.
type service struct {
	currency, network string
	min, max          decimal.Decimal
	fee, percent      decimal.Decimal // commission = fee + amount*percent/100
}

func svc(currency, network, min, max, fee, percent string) service {
	return service{
		currency: currency, network: network,
		min: decimal.RequireFromString(min), max: decimal.RequireFromString(max),
		fee: decimal.RequireFromString(fee), percent: decimal.RequireFromString(percent),
	}
}

// serviceTable covers the contract's reference networks (section 6).
var serviceTable = []service{
	svc("USDT", "tron", "1", "1000000", "1", "0"),
	svc("USDT", "bsc", "1", "1000000", "0.3", "0"),
	svc("USDT", "eth", "10", "1000000", "5", "0"),
	svc("USDT", "polygon", "1", "1000000", "0.2", "0.1"),
	svc("USDT", "ton", "1", "1000000", "0.3", "0"),
	svc("USDT", "sol", "1", "1000000", "0.5", "0"),
	svc("USDT", "arbitrum", "1", "1000000", "0.5", "0"),
	svc("USDT", "avalanche", "1", "1000000", "0.5", "0"),
	svc("USDC", "tron", "1", "1000000", "1", "0"),
	svc("USDC", "bsc", "1", "1000000", "0.3", "0"),
	svc("USDC", "eth", "10", "1000000", "5", "0"),
	svc("USDC", "polygon", "1", "1000000", "0.2", "0"),
	svc("USDC", "arbitrum", "1", "1000000", "0.5", "0"),
	svc("USDC", "avalanche", "1", "1000000", "0.5", "0"),
	svc("DAI", "bsc", "1", "1000000", "0.3", "0"),
	svc("DAI", "eth", "10", "1000000", "5", "0"),
	svc("DAI", "polygon", "1", "1000000", "0.2", "0"),
	svc("ETH", "eth", "0.005", "1000", "0.001", "0"),
	svc("ETH", "bsc", "0.005", "1000", "0.0002", "0"),
	svc("ETH", "arbitrum", "0.005", "1000", "0.0003", "0"),
	svc("TRX", "tron", "10", "10000000", "1", "0"),
	svc("BNB", "bsc", "0.01", "10000", "0.0005", "0"),
	svc("POL", "polygon", "1", "10000000", "0.1", "0"),
	svc("TON", "ton", "0.5", "1000000", "0.05", "0"),
	svc("SOL", "sol", "0.05", "100000", "0.001", "0"),
	svc("AVAX", "avalanche", "0.1", "100000", "0.01", "0"),
	svc("BTC", "btc", "0.0001", "100", "0.00005", "0"),
	svc("LTC", "ltc", "0.01", "10000", "0.001", "1"),
	svc("DOGE", "doge", "10", "10000000", "1", "0"),
	svc("BCH", "bch", "0.001", "10000", "0.0005", "0"),
	svc("DASH", "dash", "0.01", "10000", "0.001", "0"),
	svc("XMR", "xmr", "0.01", "10000", "0.001", "0"),
}

var services = indexServices(serviceTable)

func indexServices(table []service) map[serviceKey]service {
	out := make(map[serviceKey]service, len(table))
	for _, s := range table {
		out[serviceKey{s.currency, s.network}] = s
	}
	return out
}

// defaultUnavailable marks XMR unavailable so the "service unavailable"
// refusal can be exercised without extra setup.
func defaultUnavailable() map[serviceKey]bool {
	return map[serviceKey]bool{{"XMR", "xmr"}: true}
}

// networksOf lists the networks a currency can be paid out on.
func networksOf(currency string) []string {
	var out []string
	for _, s := range serviceTable {
		if s.currency == currency {
			out = append(out, s.network)
		}
	}
	return out
}

func normCurrency(c string) string { return strings.ToUpper(strings.TrimSpace(c)) }
func normNetwork(n string) string  { return strings.ToLower(strings.TrimSpace(n)) }

// commission is what Heleket charges for sending amount.
func (s service) commission(amount decimal.Decimal) decimal.Decimal {
	return s.fee.Add(amount.Mul(s.percent).Div(decimal.NewFromInt(100))).Round(8)
}

// split works out who pays what. isSubtract=true: the recipient gets amount
// and the merchant pays amount+fee; false: the fee comes out of amount.
func (s service) split(amount decimal.Decimal, isSubtract bool) (fee, debit, payout decimal.Decimal) {
	fee = s.commission(amount)
	if isSubtract {
		return fee, amount.Add(fee), amount
	}
	return fee, amount, amount.Sub(fee)
}

func (s service) wire(available bool) heleket.Service {
	var out heleket.Service
	out.Network = s.network
	out.Currency = s.currency
	out.IsAvailable = heleket.Flag{Value: available, Valid: true}
	out.Limit.MinAmount = heleket.NewAmount(s.min)
	out.Limit.MaxAmount = heleket.NewAmount(s.max)
	out.Commission.FeeAmount = heleket.NewAmount(s.fee)
	out.Commission.Percent = heleket.NewAmount(s.percent)
	return out
}

// Address shapes are general chain formats (contract section 6), checked
// loosely: no checksums, just enough to catch a wrong-network address.
const (
	base58 = `[1-9A-HJ-NP-Za-km-z]`
	bech32 = `[02-9ac-hj-np-z]`
)

var (
	evmAddress    = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)
	addressShapes = map[string][]*regexp.Regexp{
		"tron":      {regexp.MustCompile(`^T` + base58 + `{33}$`)},
		"eth":       {evmAddress},
		"bsc":       {evmAddress},
		"polygon":   {evmAddress},
		"arbitrum":  {evmAddress},
		"avalanche": {evmAddress},
		"btc": {
			regexp.MustCompile(`^[13]` + base58 + `{25,34}$`),
			regexp.MustCompile(`^bc1` + bech32 + `{8,87}$`),
		},
		"ltc": {
			regexp.MustCompile(`^[LM3]` + base58 + `{26,33}$`),
			regexp.MustCompile(`^ltc1` + bech32 + `{8,87}$`),
		},
		"doge": {regexp.MustCompile(`^D` + base58 + `{25,33}$`)},
		"ton": {
			regexp.MustCompile(`^[EU]Q[A-Za-z0-9_-]{46}$`),
			regexp.MustCompile(`^-?[0-9]:[0-9a-fA-F]{64}$`),
		},
		"sol": {regexp.MustCompile(`^` + base58 + `{32,44}$`)},
		"bch": {
			regexp.MustCompile(`^(bitcoincash:)?[qp]` + bech32 + `{41}$`),
			regexp.MustCompile(`^[13]` + base58 + `{25,34}$`),
		},
		"dash": {regexp.MustCompile(`^X` + base58 + `{33}$`)},
		"xmr":  {regexp.MustCompile(`^[48]` + base58 + `{94}$`)},
	}
)

func validAddress(network, address string) bool {
	for _, re := range addressShapes[network] {
		if re.MatchString(address) {
			return true
		}
	}
	return false
}
