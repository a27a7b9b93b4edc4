package payout

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
)

// IDLength is the length of a payout ID. The ID doubles as Heleket's
// order_id, which the info endpoint accepts only up to 32 characters.
const IDLength = 32

// installationPattern is the shape of an installation ID: the database
// creates it once with its schema (schema/migrations/00006).
var installationPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// ValidInstallation reports whether id can be an installation ID.
func ValidInstallation(id string) bool { return installationPattern.MatchString(id) }

// DeriveID returns the payout ID for a client's idempotency key within one
// installation. The same inputs always give the same ID, which makes the
// workflow ID and Heleket's order_id idempotent too. The installation (one
// per database, kept by a restored backup) keeps two installations that
// share a Temporal namespace or a Heleket merchant from ever naming the same
// payout; the scope separates independent key spaces (an admin request, a
// campaign row, a scheduled run) that could otherwise collide.
//
// An empty installation gives the IDs of the releases before installations
// existed; only payouts recorded then (and their histories) carry them.
func DeriveID(installation, scope, clientID, key string) string {
	h := sha256.New()
	parts := []string{scope, clientID, key}
	if installation != "" {
		// A prefix part no legacy input can produce: legacy IDs hash three
		// parts, these four, and the marker keeps the two spaces apart.
		parts = append([]string{"installation:" + installation}, parts...)
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	// base64url has only [A-Za-z0-9_-], the order_id alphabet.
	id := base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	return "po" + id[:IDLength-2]
}

// WorkflowID is the Temporal workflow ID of a payout.
func WorkflowID(payoutID string) string { return "payout-" + payoutID }

// Fingerprint identifies a payout's terms within one installation: an HMAC
// keyed by the installation ID, so a workflow memo holding it tells this
// installation's payout from any other under the same ID, and confirms no
// guess of an address to someone who reads the memo without the database.
func Fingerprint(installation string, p Payout) string {
	m := hmac.New(sha256.New, []byte(installation))
	for _, part := range []string{p.ID, p.ClientID, strings.ToUpper(p.Asset), strings.ToLower(p.Network),
		p.Amount.String(), p.Address, p.Memo, string(p.Origin)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}
