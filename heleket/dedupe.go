package heleket

import (
	"bytes"
	"strings"
)

// WebhookDedupeKey identifies a webhook delivery by what its signature
// authenticates: the payload Heleket signed, with the sign (lowercased)
// appended as Heleket appends it. Every variant of one delivery that
// VerifyWebhook accepts (other whitespace or escaping, the sign member
// moved or upper-cased) has the same key, so an inbox keyed by it stores a
// replayed webhook once however it was reworded. For a body exactly as
// Heleket sends it the key is the body itself.
func WebhookDedupeKey(raw []byte, apiKey string) ([]byte, error) {
	stripped, sign, err := stripSign(raw)
	if err != nil {
		return nil, err
	}
	signed, ok := signedPayload(stripped, sign, apiKey)
	if !ok {
		return nil, badSig("signature mismatch")
	}
	payload := bytes.TrimRight(signed, " \t\r\n")
	key := make([]byte, 0, len(payload)+len(sign)+12)
	key = append(key, payload[:len(payload)-1]...) // all but the closing '}'
	if len(bytes.TrimSpace(payload[1:len(payload)-1])) > 0 {
		key = append(key, ',')
	}
	key = append(key, `"sign":"`...)
	key = append(key, strings.ToLower(sign)...)
	return append(key, `"}`...), nil
}
