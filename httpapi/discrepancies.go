package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

func (s *server) discrepancyRoutes(r chi.Router) {
	r.Get("/discrepancies", s.listDiscrepancies)
	r.Post("/discrepancies/{id}/resolve", s.resolveDiscrepancy)
}

type discrepancyPage struct {
	Items      []store.Discrepancy `json:"items"`
	NextCursor *string             `json:"next_cursor"`
}

// listDiscrepancies lists discrepancies newest first, filtered by status
// (open or resolved), kind, payout and run; pass next_cursor back as
// cursor.
func (s *server) listDiscrepancies(w http.ResponseWriter, r *http.Request) {
	f, before, limit, fields := parseDiscrepancyQuery(r)
	if !fields.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid discrepancy query", fields)
		return
	}
	items, next, err := s.Store.ListDiscrepancies(r.Context(), f, before, limit)
	if err != nil {
		s.log.ErrorContext(r.Context(), "list discrepancies", "error", err)
		writeError(w, http.StatusInternalServerError, "could not list the discrepancies", nil)
		return
	}
	page := discrepancyPage{Items: items}
	if page.Items == nil {
		page.Items = []store.Discrepancy{}
	}
	if next != 0 {
		c := encodeIDCursor(next)
		page.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, page)
}

func parseDiscrepancyQuery(r *http.Request) (store.DiscrepancyFilter, int64, int, payout.FieldErrors) {
	q := parseQuery(r, "status", "kind", "payout_id", "run_id", "limit", "cursor")
	f := store.DiscrepancyFilter{Kind: reconcile.Kind(q.get("kind")), PayoutID: q.get("payout_id"), RunID: q.get("run_id")}
	switch q.get("status") {
	case "":
	case "open", "resolved":
		open := q.get("status") == "open"
		f.Open = &open
	default:
		q.errs.Add("status", "must be open or resolved")
	}
	if f.Kind != "" && !knownKind(f.Kind) {
		names := make([]string, len(reconcile.Kinds))
		for i, k := range reconcile.Kinds {
			names[i] = string(k)
		}
		q.errs.Add("kind", "must be one of "+strings.Join(names, ", "))
	}
	if f.PayoutID != "" && !cursorID.MatchString(f.PayoutID) {
		q.errs.Add("payout_id", "is not a payout id")
	}
	if len(f.RunID) > 200 || strings.ContainsRune(f.RunID, 0) {
		q.errs.Add("run_id", "is not a reconciliation run id")
	}
	limit := q.int("limit", defaultPageSize, 1, maxPageSize)
	var before int64
	if raw := q.get("cursor"); raw != "" {
		var ok bool
		if before, ok = decodeIDCursor(raw); !ok {
			q.errs.Add("cursor", "is not a next_cursor from a previous page")
		}
	}
	return f, before, limit, q.errs
}

func knownKind(k reconcile.Kind) bool {
	for _, known := range reconcile.Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// An id cursor is the last row's id, base64url-encoded so that clients
// treat it as opaque.
func encodeIDCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeIDCursor(s string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseInt(string(raw), 10, 64)
	return id, err == nil && id > 0
}

type resolveRequest struct {
	Resolution string `json:"resolution"`
	Note       string `json:"note"`
}

// resolveAnswer is the resolved discrepancy, and whether the payout's
// needs_attention was cleared by this resolution.
type resolveAnswer struct {
	Discrepancy      store.Discrepancy `json:"discrepancy"`
	AttentionCleared bool              `json:"attention_cleared"`
}

func (s *server) resolveDiscrepancy(w http.ResponseWriter, r *http.Request) {
	var body resolveRequest
	if msg, ok := decodeJSON(w, r, &body); !ok {
		writeError(w, http.StatusBadRequest, msg, nil)
		return
	}
	// An id that is no number names no discrepancy: 0, which the use case
	// answers 404 after checking the role.
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		id = 0
	}
	res, err := s.Service.ResolveDiscrepancy(r.Context(), id, body.Resolution, body.Note, actor(r.Context()))
	if err != nil {
		s.fail(w, r, "resolve the discrepancy", err)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, resolveAnswer{Discrepancy: res.Discrepancy, AttentionCleared: res.AttentionCleared})
}
