package payout

import (
	"regexp"
	"slices"
	"strings"
)

// assetsByNetwork is Heleket's payout reference table (contract section 6).
// Codes are kept in the case the product uses everywhere: networks lower,
// assets upper.
var assetsByNetwork = map[string][]string{
	"arbitrum":  {"ETH", "USDT", "USDC"},
	"avalanche": {"USDT", "AVAX", "USDC"},
	"bch":       {"BCH"},
	"bsc":       {"USDT", "DAI", "USDC", "BNB", "ETH"},
	"btc":       {"BTC"},
	"dash":      {"DASH"},
	"doge":      {"DOGE"},
	"eth":       {"ETH", "USDT", "USDC", "DAI"},
	"ltc":       {"LTC"},
	"polygon":   {"USDC", "DAI", "USDT", "POL"},
	"sol":       {"USDT", "SOL"},
	"ton":       {"USDT", "TON"},
	"tron":      {"TRX", "USDT", "USDC"},
	"xmr":       {"XMR"},
}

// NormalizeAsset puts an asset code in the form the table uses.
func NormalizeAsset(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// NormalizeNetwork puts a network code in the form the table uses. Heleket
// itself sends network codes in either case.
func NormalizeNetwork(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// SupportsPair reports whether Heleket pays the asset out on the network.
func SupportsPair(asset, network string) bool {
	return slices.Contains(assetsByNetwork[NormalizeNetwork(network)], NormalizeAsset(asset))
}

// KnownNetwork reports whether the network is in the reference table.
func KnownNetwork(network string) bool {
	_, ok := assetsByNetwork[NormalizeNetwork(network)]
	return ok
}

// KnownAsset reports whether any network carries the asset.
func KnownAsset(asset string) bool {
	_, ok := networksByAsset[NormalizeAsset(asset)]
	return ok
}

// The sorted lists are derived from the table once: validation asks for
// them on every row, and sorting them per row was most of the time a
// 100,000-row campaign spent being validated.
var (
	sortedNetworks  = sortedNetworkList()
	sortedAssets    = sortedAssetList()
	networksByAsset = networksByAssetMap()
)

// Networks lists every supported network, sorted.
func Networks() []string { return slices.Clone(sortedNetworks) }

func sortedNetworkList() []string {
	out := make([]string, 0, len(assetsByNetwork))
	for n := range assetsByNetwork {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// AssetsOn lists the assets payable on a network, sorted; nil for an
// unknown network.
func AssetsOn(network string) []string {
	assets := assetsByNetwork[NormalizeNetwork(network)]
	if assets == nil {
		return nil
	}
	out := slices.Clone(assets)
	slices.Sort(out)
	return out
}

// NetworksFor lists the networks that carry an asset, sorted; nil for an
// unknown asset.
func NetworksFor(asset string) []string {
	return slices.Clone(networksByAsset[NormalizeAsset(asset)])
}

func networksByAssetMap() map[string][]string {
	out := map[string][]string{}
	for _, n := range sortedNetworks {
		for _, a := range assetsByNetwork[n] {
			out[a] = append(out[a], n)
		}
	}
	return out
}

// Assets lists every asset payable on some network, sorted.
func Assets() []string { return slices.Clone(sortedAssets) }

func sortedAssetList() []string {
	var out []string
	for _, assets := range assetsByNetwork {
		out = append(out, assets...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Character classes shared by several address formats.
const (
	base58 = `[1-9A-HJ-NP-Za-km-z]`
	bech32 = `[02-9ac-hj-np-z]` // qpzry9x8gf2tvdw0s3jn54khce6mua7l
)

var evmAddress = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)

// addressShapes holds the general chain formats per network. They catch
// wrong-network and mistyped addresses before money moves; they do not
// verify checksums, which Heleket does on its side.
var addressShapes = map[string]*regexp.Regexp{
	"arbitrum":  evmAddress,
	"avalanche": evmAddress,
	"bsc":       evmAddress,
	"eth":       evmAddress,
	"polygon":   evmAddress,
	"tron":      regexp.MustCompile(`^T` + base58 + `{33}$`),
	// Legacy P2PKH/P2SH, or segwit bech32 whose total length is 14 to 74.
	"btc": regexp.MustCompile(`^(?:[13]` + base58 + `{25,34}|bc1` + bech32 + `{11,71})$`),
	"ltc": regexp.MustCompile(`^(?:[LM]` + base58 + `{25,34}|ltc1` + bech32 + `{11,71})$`),
	// User-friendly form: flag byte (E/U mainnet, k/0 testnet) then the
	// workchain (Q basechain, f masterchain); or the raw workchain:hex form.
	"ton":  regexp.MustCompile(`^(?:[EUk0][Qf][A-Za-z0-9_-]{46}|(?:0|-1):[0-9a-fA-F]{64})$`),
	"sol":  regexp.MustCompile(`^` + base58 + `{32,44}$`),
	"doge": regexp.MustCompile(`^D` + base58 + `{33}$`),
	// CashAddr with or without its prefix (160- or 256-bit hash), or legacy.
	"bch":  regexp.MustCompile(`^(?:(?:bitcoincash:)?[qp](?:` + bech32 + `{41}|` + bech32 + `{60})|[13]` + base58 + `{25,34})$`),
	"dash": regexp.MustCompile(`^X` + base58 + `{33}$`),
	"xmr":  regexp.MustCompile(`^[48]` + base58 + `{94}$`),
}

// ValidAddress reports whether address has the shape of a wallet address on
// the network. The address is taken as is: callers trim user input.
func ValidAddress(network, address string) bool {
	re, ok := addressShapes[NormalizeNetwork(network)]
	return ok && re.MatchString(address)
}

// MemoAllowed reports whether Heleket accepts a memo for the network; the
// contract allows one only for TON.
func MemoAllowed(network string) bool { return NormalizeNetwork(network) == "ton" }
