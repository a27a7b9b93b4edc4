package payout

import (
	"strings"
	"testing"
)

// FuzzParseLimits covers PAYOUT_MAX_AMOUNTS and APPROVAL_THRESHOLDS: only
// known assets with positive plain amounts get through, and what is read
// writes back to the same limits.
func FuzzParseLimits(f *testing.F) {
	for _, s := range []string{
		"USDT=1000,BTC=0.05", "usdt = 10 ", "USDT=1000,USDT=5", "FOO=1", "USDT=-1", "USDT=0", "USDT=1e3",
		"USDT", "=5", ",,", "", "USDT=1234567890123456789", "BTC=0.0000000000000000001", "USDT=1=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseLimits(spec)
		if err != nil {
			return
		}
		parts := make([]string, 0, len(got))
		for asset, max := range got {
			if !KnownAsset(asset) || asset != NormalizeAsset(asset) || !max.IsPositive() {
				t.Fatalf("accepted %s=%s from %q", asset, max, spec)
			}
			parts = append(parts, asset+"="+max.String())
		}
		again, err := ParseLimits(strings.Join(parts, ","))
		if err != nil || len(again) != len(got) {
			t.Fatalf("does not round-trip: %v", err)
		}
		for asset, max := range got {
			if !again[asset].Equal(max) {
				t.Fatalf("%s changed from %s to %s", asset, max, again[asset])
			}
		}
	})
}
