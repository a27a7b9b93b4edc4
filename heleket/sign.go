// Package heleket speaks Heleket's payout API: request signing, the HTTP
// client, typed errors and webhook verification.
package heleket

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
)

// Sign computes Heleket's request signature: lowercase hex of
// md5(base64(body) + apiKey). The body must be exactly the bytes sent on the
// wire, so callers marshal once and sign and send the same slice.
func Sign(body []byte, apiKey string) string {
	h := md5.New()
	enc := base64.NewEncoder(base64.StdEncoding, h)
	_, _ = enc.Write(body) // writes to a hash never fail
	_ = enc.Close()
	_, _ = h.Write([]byte(apiKey))
	return hex.EncodeToString(h.Sum(nil))
}
