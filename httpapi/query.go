package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/heleket-payouts/payouts/payout"
)

// query reads a request's query string strictly: unknown or repeated
// parameters are field errors, like unknown JSON fields, so that a typo
// ("stauts=paid") is refused instead of silently listing everything.
type query struct {
	values url.Values
	errs   payout.FieldErrors
}

func parseQuery(r *http.Request, allowed ...string) *query {
	q := &query{values: r.URL.Query(), errs: payout.FieldErrors{}}
	known := make(map[string]bool, len(allowed))
	for _, name := range allowed {
		known[name] = true
	}
	for name, vs := range q.values {
		switch {
		case !known[name]:
			q.errs.Add(name, "unknown query parameter")
		case len(vs) > 1:
			q.errs.Add(name, "must be given once")
		}
	}
	return q
}

func (q *query) get(name string) string { return q.values.Get(name) }

// time reads an RFC 3339 timestamp; zero when absent.
func (q *query) time(name string) time.Time {
	raw := q.get(name)
	if raw == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		q.errs.Add(name, "must be an RFC 3339 timestamp, like 2026-11-01T00:00:00Z")
	}
	return t
}

// period reads a [from, to) pair of timestamps.
func (q *query) period(fromName, toName string) (from, to time.Time) {
	from, to = q.time(fromName), q.time(toName)
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		q.errs.Add(toName, "must be after "+fromName)
	}
	return from, to
}

// int reads an integer in [lo, hi], def when absent.
func (q *query) int(name string, def, lo, hi int) int {
	raw := q.get(name)
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		q.errs.Add(name, "must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
		return def
	}
	return n
}

// bool reads true or false; nil when absent.
func (q *query) bool(name string) *bool {
	raw := q.get(name)
	if raw == "" {
		return nil
	}
	if raw != "true" && raw != "false" {
		q.errs.Add(name, "must be true or false")
		return nil
	}
	v := raw == "true"
	return &v
}
