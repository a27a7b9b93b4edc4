package payout

import (
	"strings"
	"testing"
	"unicode"
)

func FuzzParseAmount(f *testing.F) {
	seeds := []struct{ asset, s string }{
		{"USDT", "100.50"}, {"USDT", " 1.5 "}, {"BTC", "0.00000001"}, {"ETH", "0.000000000000000001"},
		{"USDT", "0"}, {"USDT", "-1"}, {"USDT", "1e3"}, {"USDT", "0x10"}, {"USDT", ".5"},
		{"USDT", "1,000"}, {"USDT", "1234567890123456789012345678901234567890"},
		{"XMR", "1.000000000000"}, {"FOO", "007.10"}, {"", ""}, {"TON", "\u00a01"},
	}
	for _, s := range seeds {
		f.Add(s.asset, s.s)
	}
	f.Fuzz(func(t *testing.T, asset, s string) {
		d, err := ParseAmount(asset, s)
		if err != nil {
			return
		}
		if !d.IsPositive() {
			t.Fatalf("accepted non-positive %s", d)
		}
		if -d.Exponent() > int32(MaxDecimals(asset)) {
			t.Fatalf("accepted %d decimals for %q", -d.Exponent(), asset)
		}
		again, err := ParseAmount(asset, d.String())
		if err != nil {
			t.Fatalf("String() %q of an accepted amount does not parse: %v", d.String(), err)
		}
		if !again.Equal(d) {
			t.Fatalf("round trip changed %s to %s", d, again)
		}
	})
}

func FuzzValidAddress(f *testing.F) {
	seeds := []struct{ network, address string }{
		{"tron", addrTron}, {"eth", addrEVM}, {"btc", addrBTCWPKH}, {"ltc", addrLTC1},
		{"ton", addrTON}, {"ton", addrTONRaw}, {"sol", addrSOL}, {"doge", addrDOGE},
		{"bch", addrBCH}, {"dash", addrDASH}, {"xmr", addrXMR},
		{"tron", addrEVM}, {"", ""}, {"TRON", "T\x00"}, {"bch", "bitcoincash:"},
	}
	for _, s := range seeds {
		f.Add(s.network, s.address)
	}
	f.Fuzz(func(t *testing.T, network, address string) {
		if !ValidAddress(network, address) {
			return
		}
		// The shortest accepted form is a 14-char bech32, the longest a
		// 95-char Monero address.
		if len(address) < 14 || len(address) > 95 {
			t.Fatalf("accepted an address of implausible length %d", len(address))
		}
		if strings.ContainsFunc(address, unicode.IsSpace) {
			t.Fatalf("accepted an address containing whitespace")
		}
	})
}
