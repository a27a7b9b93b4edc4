package payout

import (
	"encoding/json"
	"regexp"
	"strings"
)

// MaskAddress keeps just enough of a wallet address for an operator to
// recognise it.
func MaskAddress(a string) string {
	if len(a) <= 10 {
		return "…"
	}
	return a[:4] + "…" + a[len(a)-4:]
}

// maxAnswer bounds a raw answer kept in an audit row.
const maxAnswer = 4096

// longToken matches runs long enough to be an address or a key.
var longToken = regexp.MustCompile(`[A-Za-z0-9:_\-]{24,}`)

// MaskAnswer turns a raw Heleket answer into something an audit row may
// keep: JSON with every "address" value masked, or, when it is not JSON,
// the text cut short with anything address-like removed.
func MaskAnswer(raw []byte) any {
	var v any
	if len(raw) <= maxAnswer && json.Unmarshal(raw, &v) == nil {
		return maskAddresses(v)
	}
	text := string(raw)
	if len(text) > maxAnswer {
		text = text[:maxAnswer] + "…"
	}
	return map[string]any{"text": longToken.ReplaceAllString(strings.ToValidUTF8(text, "?"), "[masked]")}
}

func maskAddresses(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && strings.Contains(strings.ToLower(k), "address") {
				t[k] = MaskAddress(s)
				continue
			}
			t[k] = maskAddresses(x)
		}
	case []any:
		for i, x := range t {
			t[i] = maskAddresses(x)
		}
	}
	return v
}
