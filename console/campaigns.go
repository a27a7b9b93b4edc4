package console

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

// MaxUpload bounds a campaign's CSV as the API bounds POST /payouts/batch.
const MaxUpload = 16 << 20

func (c *console) campaignRoutes(r chi.Router) {
	r.Get("/campaigns", c.campaignList)
	r.Post("/campaigns", c.uploadCampaign)
	r.Get("/campaigns/{id}", c.campaignPage)
	r.Post("/campaigns/{id}/retry-failed", c.retryFailed)
	for _, d := range []string{usecase.BatchPause, usecase.BatchResume, usecase.BatchCancel, usecase.BatchApprove, usecase.BatchReject} {
		r.Post("/campaigns/{id}/"+d, c.decideCampaign(d))
	}
}

// rowError is one row's problems as the upload page lists them; Line is
// the CSV line (the header is line 1).
type rowError struct {
	Line   int
	Fields []fieldError
}

type fieldError struct{ Field, Problem string }

type campaignsData struct {
	Items     []store.Batch
	Next      string
	Key       string
	Problem   string
	RowErrors []rowError
}

func (c *console) campaignList(w http.ResponseWriter, r *http.Request) {
	c.showCampaigns(w, r, http.StatusOK, &campaignsData{})
}

func (c *console) showCampaigns(w http.ResponseWriter, r *http.Request, status int, d *campaignsData) {
	var after *store.BatchPageKey
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = url.Values{"cursor": {cur}}.Encode()
		_, key, _, errs := httpapi.ParsePayoutQuery(r2)
		if !errs.Empty() || key == nil {
			c.refuse(w, r, http.StatusUnprocessableEntity, "cursor is not a next page link from a previous page")
			return
		}
		after = &store.BatchPageKey{CreatedAt: key.CreatedAt, ID: key.ID}
	}
	items, next, err := c.Store.ListBatches(r.Context(), after, 50)
	if err != nil {
		c.fail(w, r, "list the campaigns", err)
		return
	}
	d.Items = items
	if next != nil {
		d.Next = "/console/campaigns?cursor=" + url.QueryEscape(httpapi.EncodeCursor(store.PageKey{CreatedAt: next.CreatedAt, ID: next.ID}))
	}
	d.Key = "console-" + randomToken()
	c.render(w, r, status, "campaigns", page{Title: "Campaigns", Nav: "campaigns", Data: d})
}

// uploadCampaign stores a CSV campaign through the use case, which checks
// every row first: a file with any bad row stores nothing, and every row's
// errors are listed.
func (c *console) uploadCampaign(w http.ResponseWriter, r *http.Request) {
	d := &campaignsData{}
	f, _, err := r.FormFile("csv")
	if err != nil {
		d.Problem = "choose a CSV file to upload"
		c.showCampaigns(w, r, http.StatusBadRequest, d)
		return
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, MaxUpload+1))
	if err != nil || len(body) > MaxUpload {
		d.Problem = "the file could not be read or is over 16 MiB"
		c.showCampaigns(w, r, http.StatusRequestEntityTooLarge, d)
		return
	}
	rows, err := batch.Parse("text/csv", bytes.TrimSpace(body))
	if err != nil {
		d.Problem = err.Error()
		c.showCampaigns(w, r, http.StatusBadRequest, d)
		return
	}
	created, err := c.Service.CreateBatch(r.Context(), r.PostFormValue("idempotency_key"), rows, sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, fields := explain(err)
		if status >= 500 {
			c.fail(w, r, "store the campaign", err)
			return
		}
		d.Problem = msg
		var inv *usecase.InvalidError
		if errors.As(err, &inv) {
			d.RowErrors = rowErrors(inv.Rows)
		}
		for field, problems := range fields {
			for _, p := range problems {
				d.RowErrors = append(d.RowErrors, rowError{Fields: []fieldError{{Field: field, Problem: p}}})
			}
		}
		c.showCampaigns(w, r, status, d)
		return
	}
	http.Redirect(w, r, "/console/campaigns/"+url.PathEscape(created.ID), http.StatusSeeOther)
}

func rowErrors(rows map[int]payout.FieldErrors) []rowError {
	out := make([]rowError, 0, len(rows))
	for i, fields := range rows {
		re := rowError{Line: i + 2}
		names := make([]string, 0, len(fields))
		for f := range fields {
			names = append(names, f)
		}
		sort.Strings(names)
		for _, f := range names {
			for _, p := range fields[f] {
				re.Fields = append(re.Fields, fieldError{Field: f, Problem: p})
			}
		}
		out = append(out, re)
	}
	slices.SortFunc(out, func(a, b rowError) int { return a.Line - b.Line })
	return out
}

type campaignData struct {
	Summary  store.BatchSummary
	Final    int
	Statuses []statusCount
	Payouts  []payout.Payout
	Live     string
	Done     bool
	// Failed counts the rows a retry-failed would look at; RetryKey is
	// the idempotency key its button sends.
	Failed   int
	RetryKey string
	Retried  *usecase.BatchRetried
}

type statusCount struct {
	Status payout.Status
	Count  int
}

// Terminal is what the live part tells console.js: the campaign moves no
// more.
func (d campaignData) Terminal() bool {
	return d.Done || d.Summary.State == store.BatchCancelled && d.notStarted() == 0
}

func (d campaignData) notStarted() int {
	n := 0
	for _, g := range d.Summary.Groups {
		n += g.NotStarted
	}
	return n
}

func (c *console) campaignPage(w http.ResponseWriter, r *http.Request) {
	c.showCampaign(w, r, http.StatusOK, chi.URLParam(r, "id"), page{})
}

func (c *console) showCampaign(w http.ResponseWriter, r *http.Request, status int, id string, pg page) {
	sum, err := c.Store.BatchSummary(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		c.refuse(w, r, http.StatusNotFound, "campaign not found")
		return
	}
	if err != nil {
		c.fail(w, r, "load the campaign", err)
		return
	}
	d := campaignData{Summary: sum, Live: "/console/campaigns/" + url.PathEscape(id) + "?part=live"}
	counts := map[payout.Status]int{}
	for _, g := range sum.Groups {
		counts[g.Status] += g.Count
		if g.Status.Final() {
			d.Final += g.Count
		}
		if g.Status.Retryable() {
			d.Failed += g.Count
		}
	}
	d.RetryKey = "console-retry-" + randomToken()
	if done, ok := pg.Data.(*usecase.BatchRetried); ok {
		d.Retried = done
	}
	for _, s := range payout.Statuses {
		if counts[s] > 0 {
			d.Statuses = append(d.Statuses, statusCount{Status: s, Count: counts[s]})
		}
	}
	d.Done = d.Final == sum.RowCount
	if d.Payouts, err = c.Store.BatchPayoutsPage(r.Context(), id, "", 100); err != nil {
		c.fail(w, r, "list the campaign's payouts", err)
		return
	}
	pg.Title, pg.Nav, pg.Data, pg.Refresh = "Campaign "+id, "campaigns", d, !d.Terminal()
	if r.URL.Query().Get("part") == "live" {
		c.renderPart(w, r, "campaign", "live", pg)
		return
	}
	c.render(w, r, status, "campaign", pg)
}

// retryFailed retries the campaign's failed, rejected and expired rows
// not retried yet, each through the gate as its own payout.
func (c *console) retryFailed(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	done, err := c.Service.RetryFailedBatchRows(r.Context(), id, r.PostFormValue("idempotency_key"), sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, _ := explain(err)
		if status >= 500 && status != http.StatusServiceUnavailable {
			c.fail(w, r, "retry the campaign's failed payouts", err)
			return
		}
		c.showCampaign(w, r, status, id, page{Error: msg})
		return
	}
	c.showCampaign(w, r, http.StatusOK, id, page{Notice: fmt.Sprintf("Retried %d rows (%d already retried by this button, %d left alone, %d refused).",
		done.Retried, done.Replayed, done.Skipped, len(done.Refused)), Data: &done})
}

func (c *console) decideCampaign(decision string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		note := r.PostFormValue("note")
		if problem := httpapi.ReasonProblem(note); problem != "" {
			c.showCampaign(w, r, http.StatusUnprocessableEntity, id, page{Error: "invalid note: " + problem})
			return
		}
		if _, err := c.Service.DecideBatch(r.Context(), id, decision, sessionOf(r.Context()).Actor, note); err != nil {
			status, msg, _ := explain(err)
			if status >= 500 && status != http.StatusServiceUnavailable {
				c.fail(w, r, "record the decision", err)
				return
			}
			c.showCampaign(w, r, status, id, page{Error: msg})
			return
		}
		http.Redirect(w, r, "/console/campaigns/"+url.PathEscape(id), http.StatusSeeOther)
	}
}
