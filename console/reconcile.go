package console

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/store"
)

// runsPerPage and maxRunDiscrepancies are the API's page sizes.
const (
	runsPerPage         = 20
	maxRunDiscrepancies = 1000
)

func (c *console) reconcileRoutes(r chi.Router) {
	r.Get("/reconciliation", c.runsPage)
	r.Post("/reconciliation", c.triggerRun)
	r.Get("/reconciliation/{id}", c.runPage)
}

type runsData struct {
	Runs []store.Run
	Next string
}

func (c *console) runsPage(w http.ResponseWriter, r *http.Request) {
	cursor := r.URL.Query().Get("cursor")
	if cursor != "" {
		if _, err := c.Store.GetRun(r.Context(), cursor); errors.Is(err, store.ErrNotFound) {
			c.refuse(w, r, http.StatusUnprocessableEntity, "cursor is not a next page link from a previous page")
			return
		}
	}
	runs, err := c.Store.ListRuns(r.Context(), cursor, runsPerPage+1)
	if err != nil {
		c.fail(w, r, "list the reconciliation runs", err)
		return
	}
	d := runsData{Runs: runs}
	if len(runs) > runsPerPage {
		d.Runs = runs[:runsPerPage]
		d.Next = "/console/reconciliation?cursor=" + url.QueryEscape(runs[runsPerPage-1].ID)
	}
	c.render(w, r, http.StatusOK, "reconciliation", page{Title: "Reconciliation", Nav: "reconciliation", Data: d})
}

func (c *console) triggerRun(w http.ResponseWriter, r *http.Request) {
	t, err := c.Service.TriggerReconciliation(r.Context(), sessionOf(r.Context()).Actor)
	if err != nil {
		c.fail(w, r, "start reconciliation", err)
		return
	}
	http.Redirect(w, r, "/console/reconciliation/"+url.PathEscape(t.RunID), http.StatusSeeOther)
}

type runData struct {
	Run           store.Run
	Discrepancies []store.Discrepancy
	More          bool
}

func (c *console) runPage(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	run, err := c.Store.GetRun(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		c.refuse(w, r, http.StatusNotFound, "reconciliation run not found")
		return
	}
	if err != nil {
		c.fail(w, r, "load the reconciliation run", err)
		return
	}
	ds, err := c.Store.Discrepancies(r.Context(), id, 0, maxRunDiscrepancies+1)
	if err != nil {
		c.fail(w, r, "list the run's discrepancies", err)
		return
	}
	d := runData{Run: run, Discrepancies: ds}
	if len(ds) > maxRunDiscrepancies {
		d.Discrepancies, d.More = ds[:maxRunDiscrepancies], true
	}
	c.render(w, r, http.StatusOK, "run", page{Title: "Reconciliation run " + id, Nav: "reconciliation", Data: d})
}
