package httpapi

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/store"
)

// maxRunDiscrepancies bounds the discrepancies shown with a run; a run that
// finds more has a bigger problem than a long page.
const maxRunDiscrepancies = 1000

func (s *server) reconcileRoutes(r chi.Router) {
	r.Post("/payouts/reconcile", s.triggerReconciliation)
	r.Get("/reconciliation/runs", s.listRuns)
	r.Get("/reconciliation/runs/{id}", s.getRun)
}

// triggerReconciliation runs reconciliation now, or joins the run in
// progress: triggering twice never makes two runs work at once.
func (s *server) triggerReconciliation(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 { // -1 is a body of unknown length (chunked)
		writeError(w, http.StatusBadRequest, "this route takes no request body", nil)
		return
	}
	t, err := s.Service.TriggerReconciliation(r.Context(), actor(r.Context()))
	if err != nil {
		s.fail(w, r, "start reconciliation", err)
		return
	}
	w.Header().Set("Location", "/reconciliation/runs/"+t.RunID)
	writeJSON(w, http.StatusAccepted, t)
}

type runPage struct {
	Items      []store.Run `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

func (s *server) listRuns(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "limit", "cursor")
	limit := q.int("limit", 20, 1, 100)
	s.checkRunCursor(r, q)
	if !q.errs.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid query", q.errs)
		return
	}
	runs, err := s.Store.ListRuns(r.Context(), q.get("cursor"), limit+1)
	if err != nil {
		s.log.ErrorContext(r.Context(), "list reconciliation runs", "error", err)
		writeError(w, http.StatusInternalServerError, "could not list reconciliation runs", nil)
		return
	}
	page := runPage{Items: runs}
	if len(runs) > limit {
		page.Items = runs[:limit]
		page.NextCursor = &runs[limit-1].ID
	}
	if page.Items == nil {
		page.Items = []store.Run{}
	}
	writeJSON(w, http.StatusOK, page)
}

// checkRunCursor refuses a cursor that names no run: the page query would
// otherwise answer it with an empty page, as if there were no runs.
func (s *server) checkRunCursor(r *http.Request, q *query) {
	cursor := q.get("cursor")
	if cursor == "" {
		return
	}
	if _, err := s.Store.GetRun(r.Context(), cursor); errors.Is(err, store.ErrNotFound) {
		q.errs.Add("cursor", "is not a next_cursor from a previous page")
	}
}

type runDetail struct {
	store.Run
	Discrepancies     []store.Discrepancy `json:"discrepancies"`
	MoreDiscrepancies bool                `json:"more_discrepancies"`
}

func (s *server) getRun(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	run, err := s.Store.GetRun(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "reconciliation run not found", nil)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "load reconciliation run", "run_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the reconciliation run", nil)
		return
	}
	found, err := s.Store.Discrepancies(r.Context(), id, 0, maxRunDiscrepancies+1)
	if err != nil {
		s.log.ErrorContext(r.Context(), "load discrepancies", "run_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the run's discrepancies", nil)
		return
	}
	d := runDetail{Run: run, Discrepancies: found, MoreDiscrepancies: len(found) > maxRunDiscrepancies}
	if d.MoreDiscrepancies {
		d.Discrepancies = found[:maxRunDiscrepancies]
	}
	if d.Discrepancies == nil {
		d.Discrepancies = []store.Discrepancy{}
	}
	writeJSON(w, http.StatusOK, d)
}
