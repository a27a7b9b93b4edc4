package payout

import (
	"crypto/sha256"
	"encoding/base64"
)

// IDLength is the length of a payout ID. The ID doubles as Heleket's
// order_id, which the info endpoint accepts only up to 32 characters.
const IDLength = 32

// DeriveID returns the payout ID for a client's idempotency key. The same
// inputs always give the same ID, which makes the workflow ID and Heleket's
// order_id idempotent too. The scope separates independent key spaces (an
// admin request, a campaign row, a scheduled run) that could otherwise
// collide.
func DeriveID(scope, clientID, key string) string {
	h := sha256.New()
	for _, part := range []string{scope, clientID, key} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	// base64url has only [A-Za-z0-9_-], the order_id alphabet.
	id := base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	return "po" + id[:IDLength-2]
}

// WorkflowID is the Temporal workflow ID of a payout.
func WorkflowID(payoutID string) string { return "payout-" + payoutID }
