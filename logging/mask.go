package logging

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/heleket-payouts/payouts/payout"
)

const redacted = "[REDACTED]"

// minSecretLen keeps short or empty values from being treated as secrets:
// replacing "a" everywhere would garble every line.
const minSecretLen = 8

// Wallet address shapes, unanchored, for finding addresses inside free
// text such as error messages. Solana has no distinctive shape (any
// base58 run): only its usual 43-44 character length is matched, so
// 32-character payout ids are left alone. Values under address-like keys
// are masked whatever their shape.
var addressPattern = regexp.MustCompile(strings.Join([]string{
	`\b0x[0-9a-fA-F]{40}\b`,                       // EVM chains
	`\bT` + base58 + `{33}\b`,                     // Tron
	`\b[13LMDX]` + base58 + `{25,34}\b`,           // BTC, LTC, DOGE, DASH, BCH legacy
	`\b(?:bc1|ltc1|tb1)[02-9ac-hj-np-z]{11,71}\b`, // segwit
	`\b(?:bitcoincash:)?[qp][02-9ac-hj-np-z]{41}\b`,
	`\b[EUk0][Qf][A-Za-z0-9_-]{46}\b`, // TON user-friendly
	`(?:\b0|-1):[0-9a-fA-F]{64}\b`,    // TON raw
	`\b[48]` + base58 + `{94}\b`,      // Monero
	`\b` + base58 + `{43,44}\b`,       // Solana
}, "|"))

const base58 = `[1-9A-HJ-NP-Za-km-z]`

var bearerPattern = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+`)

// ownIDKeys hold ids this service generates; they are never addresses, and
// the address search must not mangle them.
var ownIDKeys = []string{"payoutid", "workflowid", "requestid", "runid"}

// maskingHandler rewrites every attribute and message before the wrapped
// handler sees them. It also adds payout_id to lines that name a payout's
// workflow but not the payout, such as the Temporal SDK's.
type maskingHandler struct {
	next        slog.Handler
	secrets     []string
	hasPayoutID bool
}

// NewMaskingHandler wraps next. secrets are exact values to redact
// wherever they appear.
func NewMaskingHandler(next slog.Handler, secrets []string) slog.Handler {
	var s []string
	for _, v := range secrets {
		if len(v) >= minSecretLen {
			s = append(s, v)
		}
	}
	// Longest first, so a secret containing another is redacted whole.
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return &maskingHandler{next: next, secrets: s}
}

func (h *maskingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *maskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.maskString(r.Message), r.PC)
	attrs := scopeAttrs(ctx)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	attrs = h.maskAll(attrs)
	if !h.hasPayoutID {
		attrs = withPayoutID(attrs)
	}
	out.AddAttrs(attrs...)
	return h.next.Handle(ctx, out)
}

func (h *maskingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := h.maskAll(attrs)
	clone := *h
	if !h.hasPayoutID {
		masked = withPayoutID(masked)
		clone.hasPayoutID = hasKey(masked, "payout_id")
	}
	clone.next = h.next.WithAttrs(masked)
	return &clone
}

func (h *maskingHandler) WithGroup(name string) slog.Handler {
	clone := *h
	clone.next = h.next.WithGroup(name)
	return &clone
}

func (h *maskingHandler) maskAll(attrs []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = h.maskAttr(a)
	}
	return out
}

func (h *maskingHandler) maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	norm := normalizeKey(a.Key)
	switch {
	case v.Kind() == slog.KindGroup:
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(h.maskAll(v.Group())...)}
	case isSecretKey(norm):
		return slog.String(a.Key, redacted)
	case isAddressKey(norm):
		return slog.String(a.Key, maskAddress(fmt.Sprint(v.Any())))
	case slices.Contains(ownIDKeys, norm):
		return slog.Attr{Key: a.Key, Value: h.maskValue(v, false)}
	}
	return slog.Attr{Key: a.Key, Value: h.maskValue(v, true)}
}

// maskValue rewrites strings and anything that prints as one (errors,
// structs); numbers, times and durations cannot hold a secret.
func (h *maskingHandler) maskValue(v slog.Value, addresses bool) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(h.mask(v.String(), addresses))
	case slog.KindAny:
		printed := fmt.Sprintf("%+v", v.Any())
		if masked := h.mask(printed, addresses); masked != printed {
			return slog.StringValue(masked)
		}
	}
	return v
}

func (h *maskingHandler) maskString(s string) string { return h.mask(s, true) }

func (h *maskingHandler) mask(s string, addresses bool) string {
	for _, secret := range h.secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	s = bearerPattern.ReplaceAllString(s, "Bearer "+redacted)
	if addresses {
		s = addressPattern.ReplaceAllStringFunc(s, maskAddress)
	}
	return s
}

// maskAddress keeps just enough of an address for an operator to
// recognise it, as the API's address_masked does.
func maskAddress(a string) string {
	if len(a) <= 10 {
		return "…"
	}
	return a[:4] + "…" + a[len(a)-4:]
}

func normalizeKey(k string) string {
	return strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(strings.ToLower(k))
}

func isSecretKey(k string) bool {
	if k == "sign" || k == "signature" {
		return true
	}
	for _, part := range []string{"secret", "password", "passwd", "token", "apikey", "authorization", "cookie", "privatekey", "payloadkey"} {
		if strings.Contains(k, part) {
			return true
		}
	}
	return false
}

// isAddressKey matches wallet address keys; "addr" alone is a listen
// address and stays readable.
func isAddressKey(k string) bool {
	return strings.HasSuffix(k, "address") || k == "wallet"
}

// withPayoutID adds payout_id when a payout's workflow id is present and
// the payout id is not, so every line about a payout can be found by it.
func withPayoutID(attrs []slog.Attr) []slog.Attr {
	if hasKey(attrs, "payout_id") {
		return attrs
	}
	for _, a := range attrs {
		if k := normalizeKey(a.Key); k != "workflowid" {
			continue
		}
		if id, ok := strings.CutPrefix(a.Value.String(), payout.WorkflowID("")); ok && id != "" {
			return append(attrs, slog.String("payout_id", id))
		}
	}
	return attrs
}

func hasKey(attrs []slog.Attr, key string) bool {
	return slices.ContainsFunc(attrs, func(a slog.Attr) bool { return a.Key == key })
}
