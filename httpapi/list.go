package httpapi

import (
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// payoutPage is the body of GET /payouts. NextCursor is null on the last
// page.
type payoutPage struct {
	Items      []payoutView `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

func (s *server) listPayouts(w http.ResponseWriter, r *http.Request) {
	f, after, limit, fields := parseListQuery(r)
	if !fields.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid payout query", fields)
		return
	}
	payouts, next, err := s.Store.ListPayouts(r.Context(), f, after, limit)
	if err != nil {
		s.log.ErrorContext(r.Context(), "list payouts", "error", err)
		writeError(w, http.StatusInternalServerError, "could not list the payouts", nil)
		return
	}
	page := payoutPage{Items: make([]payoutView, 0, len(payouts))}
	for _, p := range payouts {
		page.Items = append(page.Items, view(p))
	}
	if next != nil {
		c := encodeCursor(*next)
		page.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, page)
}

func parseListQuery(r *http.Request) (store.PayoutFilter, *store.PageKey, int, payout.FieldErrors) {
	q := parseQuery(r, "status", "client_id", "origin", "asset", "created_from", "created_to",
		"needs_attention", "limit", "cursor")
	f := store.PayoutFilter{
		Statuses: parseStatuses(q), ClientID: q.get("client_id"), Asset: q.get("asset"),
		Origin: payout.Origin(q.get("origin")), NeedsAttention: q.bool("needs_attention"),
	}
	if f.ClientID != "" {
		for field, problems := range payout.ValidateClientID(f.ClientID) {
			q.errs[field] = append(q.errs[field], problems...)
		}
	}
	if f.Origin != "" && !f.Origin.Valid() {
		q.errs.Add(payout.FieldOrigin, "must be one of manual, scheduled, bonus")
	}
	if f.Asset != "" {
		if f.Asset = payout.NormalizeAsset(f.Asset); !payout.KnownAsset(f.Asset) {
			q.errs.Add(payout.FieldAsset, "is not supported; supported: "+strings.Join(payout.Assets(), ", "))
		}
	}
	f.CreatedFrom, f.CreatedTo = q.period("created_from", "created_to")
	limit := q.int("limit", defaultPageSize, 1, maxPageSize)
	var after *store.PageKey
	if raw := q.get("cursor"); raw != "" {
		if key, ok := decodeCursor(raw); ok {
			after = &key
		} else {
			q.errs.Add("cursor", "is not a next_cursor from a previous page")
		}
	}
	return f, after, limit, q.errs
}

// parseStatuses reads a comma-separated list, so that the open payouts are
// one query: status=submitted,processing,verifying.
func parseStatuses(q *query) []payout.Status {
	raw := q.get("status")
	if raw == "" {
		return nil
	}
	var out []payout.Status
	for _, part := range strings.Split(raw, ",") {
		st := payout.Status(strings.TrimSpace(part))
		if !st.Valid() {
			names := make([]string, len(payout.Statuses))
			for i, s := range payout.Statuses {
				names[i] = string(s)
			}
			q.errs.Add("status", "must be a comma-separated list of: "+strings.Join(names, ", "))
			return nil
		}
		out = append(out, st)
	}
	return out
}

// A cursor is the last row's position, base64url-encoded so that clients
// treat it as opaque: "<created_at in Unix microseconds>.<payout id>".
// Microseconds are Postgres's timestamp precision, so the key is exact.
func encodeCursor(k store.PageKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.CreatedAt.UnixMicro(), 10) + "." + k.ID))
}

func decodeCursor(s string) (store.PageKey, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.PageKey{}, false
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	// The id goes into the page query as is: only what a payout id can be
	// (the payouts table's own check) is let through, never a NUL or other
	// bytes PostgreSQL would answer with an error.
	if !ok || !cursorID.MatchString(id) {
		return store.PageKey{}, false
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || us < 0 || us > maxCursorMicros {
		return store.PageKey{}, false
	}
	return store.PageKey{CreatedAt: time.UnixMicro(us).UTC(), ID: id}, true
}

// cursorID is the payouts table's id check; maxCursorMicros is the end of
// year 9999, well inside what PostgreSQL's timestamptz holds.
var (
	cursorID        = regexp.MustCompile(`^[A-Za-z0-9_-]{1,` + strconv.Itoa(payout.IDLength) + `}$`)
	maxCursorMicros = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
)

// eventView is one audit row. FromStatus is null on the creation row.
type eventView struct {
	ID         int64          `json:"id"`
	FromStatus *payout.Status `json:"from_status"`
	ToStatus   payout.Status  `json:"to_status"`
	Source     payout.Source  `json:"source"`
	Actor      string         `json:"actor"`
	Details    map[string]any `json:"details"`
	At         time.Time      `json:"at"`
}

func (s *server) payoutEvents(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	events, err := s.Store.Events(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "payout not found", nil)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "load audit trail", "payout_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the audit trail", nil)
		return
	}
	items := make([]eventView, 0, len(events))
	for _, e := range events {
		v := eventView{ID: e.ID, ToStatus: e.To, Source: e.Source, Actor: e.Actor, Details: e.Details, At: e.At}
		if e.From != "" {
			from := e.From
			v.FromStatus = &from
		}
		items = append(items, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"payout_id": id, "items": items})
}
