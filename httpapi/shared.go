package httpapi

import (
	"net/http"
	"net/netip"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// The admin console (package console) decodes what the API decodes with
// the API's own rules, so a filter or a note means the same on both.

// ParsePayoutQuery reads GET /payouts's filters, cursor and limit from a
// request's query, with the field errors of the API's 422.
func ParsePayoutQuery(r *http.Request) (store.PayoutFilter, *store.PageKey, int, payout.FieldErrors) {
	return parseListQuery(r)
}

// EncodeCursor is the next_cursor of a page ending at k.
func EncodeCursor(k store.PageKey) string { return encodeCursor(k) }

// ReasonProblem is what is wrong with a decision's reason or note, or "".
func ReasonProblem(reason string) string { return reasonProblem(reason) }

// SourceAddr is the address a request comes from, read as the webhook
// guard reads it: the peer, or behind trusted proxies the nearest
// X-Forwarded-For hop that is not one of them.
func SourceAddr(r *http.Request, trustedProxies []netip.Prefix) netip.Addr {
	src, _ := WebhookGuard{TrustedProxies: trustedProxies}.source(r)
	return src
}

// ParseDiscrepancyQuery reads GET /discrepancies's filters, cursor and
// limit, with the field errors of the API's 422.
func ParseDiscrepancyQuery(r *http.Request) (store.DiscrepancyFilter, int64, int, payout.FieldErrors) {
	return parseDiscrepancyQuery(r)
}

// EncodeIDCursor is the next_cursor of a discrepancy page ending at id.
func EncodeIDCursor(id int64) string { return encodeIDCursor(id) }
