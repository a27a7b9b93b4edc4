package heleket_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

func FuzzVerifyWebhook(f *testing.F) {
	for _, seed := range []string{
		heleketBody,
		relayBody,
		asciiRelayBody,
		phpSigned,
		`{"type":"payout","amount":"abc","sign":"67771fef610d16abb895cb818753c07e"}`,
		`{}`,
		`{"sign":""}`,
		`{"sign":"x","sign":"y"}`,
		`{"a":"\u2028\/\"","b":[1,{"c":null}],"sign":"00"}`,
		"{\"d\":\"\x01\\u0000\"}",
		`[]`,
		`{"a":`,
		"\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := heleket.VerifyWebhook(data, webhookKey)
		if err != nil {
			// Every rejection is classified, so a handler can answer it.
			require.True(t, errors.Is(err, heleket.ErrBadSignature) || errors.Is(err, heleket.ErrMalformedWebhook), "unclassified: %v", err)
		} else {
			again, err := heleket.VerifyWebhook(data, webhookKey)
			require.NoError(t, err, "an accepted body must verify again")
			require.Equal(t, w, again)
			_, err = heleket.VerifyWebhook(data, webhookKey+"-other")
			require.ErrorIs(t, err, heleket.ErrBadSignature, "acceptance must depend on the key")
		}

		// Any object PHP could encode, signed the way Heleket signs, must
		// authenticate; it may still fail to decode as a Webhook.
		enc, err := heleket.EncodePHPJSON(data)
		if err != nil || len(enc) < 2 || enc[0] != '{' || bytes.Contains(enc, []byte(`"sign"`)) {
			return
		}
		again, err := heleket.EncodePHPJSON(enc)
		require.NoError(t, err)
		require.Equal(t, enc, again, "PHP encoding is idempotent")

		sep := ","
		if len(enc) == 2 {
			sep = ""
		}
		body := append(append([]byte{}, enc[:len(enc)-1]...), []byte(sep+`"sign":"`+heleket.SignWebhook(enc, webhookKey)+`"}`)...)
		_, err = heleket.VerifyWebhook(body, webhookKey)
		if err != nil {
			require.NotErrorIs(t, err, heleket.ErrBadSignature, "signed body rejected: %q", body)
			require.ErrorIs(t, err, heleket.ErrMalformedWebhook)
		}
	})
}

func FuzzAmountUnmarshal(f *testing.F) {
	for _, seed := range []string{
		`"100.50"`, `100.50`, `129`, `null`, `""`, `" 1.5 "`, `1e3`, `"1E-2"`,
		`"-0.000000001"`, `"0.123456789012345678"`, `"abc"`, `"1e999999999"`, `-0`,
		`"10.00000000"`, `true`, `"\u0031"`, ``, `"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a heleket.Amount
		if err := a.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := a.MarshalJSON()
		require.NoError(t, err)
		var b heleket.Amount
		require.NoError(t, b.UnmarshalJSON(out), "own output %q must decode", out)
		require.Equal(t, a.Valid, b.Valid)
		if a.Valid {
			require.True(t, a.Equal(b.Decimal), "%q -> %q changed the value", data, out)
		}
	})
}
