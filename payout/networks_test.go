package payout

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Realistic addresses per network; shared with the validation tests.
const (
	addrTron    = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
	addrEVM     = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
	addrBTC     = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
	addrBTCP2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
	addrBTCWPKH = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
	addrBTCTR   = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"
	addrLTC     = "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz"
	addrLTCM    = "MGxNPPB7eBoWPUaprtX9v9CXJZoD2465zN"
	addrLTC1    = "ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea"
	addrTON     = "EQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2"
	addrTONUQ   = "UQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2"
	addrTONRaw  = "0:ed1691307050047117b998b561d8de82d31fbf84910ced6eb5fc92e7485ef8a7"
	addrSOL     = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"
	addrDOGE    = "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"
	addrBCH     = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
	addrBCHBare = "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
	addrBCHLeg  = "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"
	addrDASH    = "XpESxaUmonkq8RaLLp46Brx2K39ggQe226"
	addrXMR     = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
)

func TestNormalize(t *testing.T) {
	assert.Equal(t, "USDT", NormalizeAsset("  usdt\t"))
	assert.Equal(t, "tron", NormalizeNetwork(" TRON "))
	assert.Equal(t, "", NormalizeAsset("   "))
}

func TestSupportsPair(t *testing.T) {
	tests := []struct {
		asset, network string
		want           bool
	}{
		{"USDT", "tron", true},
		{"usdt", " TRON ", true},
		{"USDC", "tron", true},
		{"TRX", "tron", true},
		{"ETH", "arbitrum", true},
		{"AVAX", "avalanche", true},
		{"BNB", "bsc", true},
		{"ETH", "bsc", true},
		{"DAI", "eth", true},
		{"POL", "polygon", true},
		{"SOL", "sol", true},
		{"TON", "ton", true},
		{"XMR", "xmr", true},
		{"BCH", "bch", true},
		{"USDT", "btc", false},
		{"BTC", "eth", false},
		{"DAI", "tron", false},
		{"USDC", "ton", false},
		{"MATIC", "polygon", false},
		{"USDT", "unknown", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.asset+"/"+tt.network, func(t *testing.T) {
			assert.Equal(t, tt.want, SupportsPair(tt.asset, tt.network))
		})
	}
}

func TestNetworks(t *testing.T) {
	want := []string{"arbitrum", "avalanche", "bch", "bsc", "btc", "dash", "doge",
		"eth", "ltc", "polygon", "sol", "ton", "tron", "xmr"}
	assert.Equal(t, want, Networks())
	for _, n := range want {
		assert.True(t, KnownNetwork(n), n)
		_, ok := addressShapes[n]
		assert.True(t, ok, "every network needs an address shape: %s", n)
	}
	assert.False(t, KnownNetwork("bitcoin"))
}

func TestAssetsOn(t *testing.T) {
	tests := []struct {
		network string
		want    []string
	}{
		{"tron", []string{"TRX", "USDC", "USDT"}},
		{"BSC", []string{"BNB", "DAI", "ETH", "USDC", "USDT"}},
		{"btc", []string{"BTC"}},
		{"nope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			assert.Equal(t, tt.want, AssetsOn(tt.network))
		})
	}
}

func TestAssetsOnReturnsCopy(t *testing.T) {
	AssetsOn("tron")[0] = "XXX"
	assert.True(t, SupportsPair("TRX", "tron"))
}

func TestNetworksFor(t *testing.T) {
	assert.Equal(t, []string{"arbitrum", "avalanche", "bsc", "eth", "polygon", "sol", "ton", "tron"}, NetworksFor("usdt"))
	assert.Equal(t, []string{"btc"}, NetworksFor("BTC"))
	assert.Empty(t, NetworksFor("FOO"))
}

func TestAssets(t *testing.T) {
	want := []string{"AVAX", "BCH", "BNB", "BTC", "DAI", "DASH", "DOGE", "ETH",
		"LTC", "POL", "SOL", "TON", "TRX", "USDC", "USDT", "XMR"}
	assert.Equal(t, want, Assets())
	for _, a := range want {
		assert.True(t, KnownAsset(a), a)
	}
	assert.False(t, KnownAsset("MATIC"))
}

func TestValidAddress(t *testing.T) {
	tests := []struct {
		name, network, address string
		want                   bool
	}{
		{"tron", "tron", addrTron, true},
		{"tron upper network", "TRON", addrTron, true},
		{"eth", "eth", addrEVM, true},
		{"eth lower hex", "eth", strings.ToLower(addrEVM), true},
		{"bsc", "bsc", addrEVM, true},
		{"polygon", "polygon", addrEVM, true},
		{"arbitrum", "arbitrum", addrEVM, true},
		{"avalanche", "avalanche", addrEVM, true},
		{"btc p2pkh", "btc", addrBTC, true},
		{"btc p2sh", "btc", addrBTCP2SH, true},
		{"btc segwit", "btc", addrBTCWPKH, true},
		{"btc taproot", "btc", addrBTCTR, true},
		{"ltc L", "ltc", addrLTC, true},
		{"ltc M", "ltc", addrLTCM, true},
		{"ltc segwit", "ltc", addrLTC1, true},
		{"ton EQ", "ton", addrTON, true},
		{"ton UQ", "ton", addrTONUQ, true},
		{"ton kQ", "ton", "kQ" + addrTON[2:], true},
		{"ton 0Q", "ton", "0Q" + addrTON[2:], true},
		{"ton raw", "ton", addrTONRaw, true},
		{"sol", "sol", addrSOL, true},
		{"sol 32", "sol", strings.Repeat("1", 32), true},
		{"doge", "doge", addrDOGE, true},
		{"bch cashaddr", "bch", addrBCH, true},
		{"bch bare", "bch", addrBCHBare, true},
		{"bch legacy", "bch", addrBCHLeg, true},
		{"dash", "dash", addrDASH, true},
		{"xmr", "xmr", addrXMR, true},
		{"xmr subaddress", "xmr", "8" + addrXMR[1:], true},

		{"evm on tron", "tron", addrEVM, false},
		{"tron on eth", "eth", addrTron, false},
		{"tron on bsc", "bsc", addrTron, false},
		{"ltc on btc", "btc", addrLTC1, false},
		{"btc segwit on ltc", "ltc", addrBTCWPKH, false},
		{"btc legacy on ltc", "ltc", addrBTC, false},
		{"ton on sol", "sol", addrTON, false},
		{"evm on sol", "sol", addrEVM, false},
		{"doge on dash", "dash", addrDOGE, false},
		{"dash on doge", "doge", addrDASH, false},
		{"btc on xmr", "xmr", addrBTC, false},
		{"evm on ton", "ton", addrEVM, false},

		{"empty", "tron", "", false},
		{"unknown network", "bitcoin", addrBTC, false},
		{"surrounding space", "tron", " " + addrTron + " ", false},
		{"tron short", "tron", addrTron[:33], false},
		{"tron long", "tron", addrTron + "1", false},
		{"tron with 0", "tron", "T0" + addrTron[2:], false},
		{"tron with l", "tron", "Tl" + addrTron[2:], false},
		{"evm no prefix", "eth", addrEVM[2:], false},
		{"evm short", "eth", addrEVM[:41], false},
		{"evm non-hex", "eth", "0x" + strings.Repeat("g", 40), false},
		{"evm with newline", "eth", addrEVM + "\n", false},
		{"btc bech32 upper", "btc", strings.ToUpper(addrBTCWPKH), false},
		{"btc bech32 with b", "btc", "bc1qb" + addrBTCWPKH[5:], false},
		{"btc bech32 too short", "btc", "bc1qar0srr", false},
		{"btc too short", "btc", "1A1zP1eP5QGefi2DMPTfTL", false},
		{"ton wrong length", "ton", addrTON[:47], false},
		{"ton bad prefix", "ton", "AQ" + addrTON[2:], false},
		{"ton base64 std chars", "ton", "EQ" + strings.Repeat("+", 46), false},
		{"ton raw short", "ton", addrTONRaw[:60], false},
		{"sol too short", "sol", strings.Repeat("1", 31), false},
		{"sol too long", "sol", strings.Repeat("1", 45), false},
		{"xmr short", "xmr", addrXMR[:94], false},
		{"xmr wrong start", "xmr", "5" + addrXMR[1:], false},
		{"bch wrong prefix", "bch", "bchtest:" + addrBCHBare, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ValidAddress(tt.network, tt.address))
		})
	}
}

func TestMemoAllowed(t *testing.T) {
	for _, n := range Networks() {
		assert.Equal(t, n == "ton", MemoAllowed(n), n)
	}
	assert.True(t, MemoAllowed(" TON "))
	assert.False(t, MemoAllowed(""))
}

func TestEveryAssetHasDecimals(t *testing.T) {
	for _, a := range Assets() {
		_, ok := decimalsByAsset[a]
		require.True(t, ok, "decimals missing for %s", a)
	}
	assert.True(t, slices.IsSorted(Networks()))
}
