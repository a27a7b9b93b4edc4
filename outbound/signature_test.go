package outbound_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/outbound"
)

// A receiver verifies the raw body it received with its endpoint's secret.
func ExampleVerify() {
	secret := "whsec_0123456789abcdef0123456789abcdef"
	body := []byte(`{"id":"evt_1","type":"payout.paid","created_at":"2026-12-03T10:00:00Z","data":{}}`)
	sent := time.Unix(1796292000, 0)
	header := outbound.Sign(secret, sent, body) // what the Payouts-Signature header holds

	fmt.Println(header)
	fmt.Println(outbound.Verify(secret, header, body, sent.Add(time.Minute), outbound.DefaultTolerance))
	fmt.Println(outbound.Verify(secret, header, body, sent.Add(time.Hour), outbound.DefaultTolerance))
	fmt.Println(outbound.Verify("whsec_other-secret-0123456789abcdef", header, body, sent, outbound.DefaultTolerance))
	// Output:
	// t=1796292000,v1=b8be7c80a344d16ea480ffcf3a8ff39d31ae2aa9068707055a625f75d24a272f
	// <nil>
	// signature time outside the tolerance (a replay?)
	// signature does not match the body
}

func TestVerifyRefusesATamperedBodyAndMalformedHeaders(t *testing.T) {
	secret := "whsec_0123456789abcdef0123456789abcdef"
	now := time.Unix(1796292000, 0)
	header := outbound.Sign(secret, now, []byte(`{"a":1}`))
	require.ErrorIs(t, outbound.Verify(secret, header, []byte(`{"a":2}`), now, time.Minute), outbound.ErrSignatureMismatch)
	for _, h := range []string{"", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz", "garbage"} {
		require.ErrorIs(t, outbound.Verify(secret, h, []byte(`{"a":1}`), now, time.Minute), outbound.ErrBadSignatureHeader, h)
	}
	// A second v1 (a rotated secret) is accepted when one matches.
	both := header + ",v1=" + "00"
	require.NoError(t, outbound.Verify(secret, both, []byte(`{"a":1}`), now, time.Minute))
}
