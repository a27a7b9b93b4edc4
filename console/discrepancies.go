package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

func (c *console) discrepancyRoutes(r chi.Router) {
	r.Get("/discrepancies", c.discrepanciesPage)
	r.Post("/discrepancies/{id}/resolve", c.resolve)
}

type discrepanciesData struct {
	Items       []store.Discrepancy
	Query       url.Values
	Errs        payout.FieldErrors
	Next        string
	Kinds       []reconcile.Kind
	Resolutions []reconcile.Resolution
	// Failed is the discrepancy whose resolution was refused, with what
	// was typed and why.
	Failed     int64
	FailedErrs payout.FieldErrors
	Note       string
}

// discrepanciesPage lists discrepancies with GET /discrepancies's filters
// (open ones first, as the menu links them).
func (c *console) discrepanciesPage(w http.ResponseWriter, r *http.Request) {
	c.showDiscrepancies(w, r, http.StatusOK, &discrepanciesData{}, page{})
}

func (c *console) showDiscrepancies(w http.ResponseWriter, r *http.Request, status int, d *discrepanciesData, pg page) {
	q := cleanQuery(r.URL.Query())
	d.Query, d.Kinds, d.Resolutions = q, reconcile.Kinds, reconcile.Resolutions
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	f, before, limit, errs := httpapi.ParseDiscrepancyQuery(r2)
	pg.Title, pg.Nav, pg.Data = "Discrepancies", "reconciliation", d
	if !errs.Empty() {
		d.Errs = errs
		c.render(w, r, http.StatusUnprocessableEntity, "discrepancies", pg)
		return
	}
	items, next, err := c.Store.ListDiscrepancies(r.Context(), f, before, limit)
	if err != nil {
		c.fail(w, r, "list the discrepancies", err)
		return
	}
	d.Items = items
	if next != 0 {
		q.Set("cursor", httpapi.EncodeIDCursor(next))
		d.Next = "/console/discrepancies?" + q.Encode()
	}
	c.render(w, r, status, "discrepancies", pg)
}

// resolve closes a discrepancy through the use case, with its resolution
// and the operator's note.
func (c *console) resolve(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		id = 0 // the use case answers not found
	}
	note := r.PostFormValue("note")
	res, err := c.Service.ResolveDiscrepancy(r.Context(), id, r.PostFormValue("resolution"), note, sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, fields := explain(err)
		if status >= 500 {
			c.fail(w, r, "resolve the discrepancy", err)
			return
		}
		c.showDiscrepancies(w, r, status, &discrepanciesData{Failed: id, FailedErrs: fields, Note: note}, page{Error: msg})
		return
	}
	notice := "Discrepancy " + strconv.FormatInt(res.Discrepancy.ID, 10) + " resolved as " + res.Discrepancy.Resolution + "."
	if res.AttentionCleared {
		notice += " Its payout no longer needs attention."
	}
	c.showDiscrepancies(w, r, http.StatusOK, &discrepanciesData{}, page{Notice: notice})
}
