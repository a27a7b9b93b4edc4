// Package outbound tells the merchant's own systems what happened: it
// renders the events the outbox triggers wrote, signs them, and hands
// their deliveries to Temporal, which posts them (activities.Events).
package outbound

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers every delivery carries.
const (
	HeaderEventID   = "Payouts-Event-Id"
	HeaderSignature = "Payouts-Signature"
)

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock: older deliveries are refused as possible replays.
const DefaultTolerance = 5 * time.Minute

// NewSecret makes an endpoint's signing secret: 32 random bytes.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("outbound: make a secret: %w", err)
	}
	return "whsec_" + hex.EncodeToString(b), nil
}

// Sign gives the Payouts-Signature header for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrBadSignatureHeader = errors.New("malformed Payouts-Signature header")
	ErrSignatureMismatch  = errors.New("signature does not match the body")
	ErrSignatureTooOld    = errors.New("signature time outside the tolerance (a replay?)")
)

// Verify checks a delivery as a receiver should: the raw body as
// received, any v1 signature matching in constant time, and the signed
// time within tolerance of now. Deduplicate by Payouts-Event-Id as well:
// a delivery can arrive more than once.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrBadSignatureHeader
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil {
				return ErrBadSignatureHeader
			}
			sigs = append(sigs, sig)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadSignatureHeader
	}
	want := mac(secret, ts, body)
	matched := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureTooOld
	}
	return nil
}
