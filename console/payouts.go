package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

func (c *console) payoutRoutes(r chi.Router) {
	r.Get("/payouts", c.payoutList)
	r.Get("/payouts/{id}", c.payoutPage)
	r.Post("/payouts/{id}/approve", c.decide(usecase.DecideApprove))
	r.Post("/payouts/{id}/reject", c.decide(usecase.DecideReject))
	r.Post("/payouts/{id}/cancel", c.decide(usecase.DecideCancel))
	r.Post("/payouts/{id}/retry", c.retry)
	r.Get("/approvals", c.approvals)
}

type payoutData struct {
	Payout      payout.Payout
	Events      []payout.Event
	WorkflowURL string
	Note        string
	NoteErr     string
	Live        string // where console.js reads the live part from
	// RetryKey is the idempotency key the retry button sends: pressing
	// it twice makes one retry.
	RetryKey string
}

// CanRetry says whether the payout may be retried as a new payout (the
// use case decides; this hides the button otherwise).
func (d payoutData) CanRetry() bool { return d.Payout.Status.Retryable() && d.Payout.RetriedAs == "" }

// waitsFor says what a payout in flight waits for, when it is not held
// (a held one says so itself, in waiting_for).
var waitsFor = map[payout.Status]string{
	payout.StatusRequested:     "its workflow to submit it to Heleket",
	payout.StatusSubmitted:     "Heleket to start processing it (webhook, or the workflow's poll)",
	payout.StatusProcessing:    "Heleket to send it on chain (webhook, or the workflow's poll)",
	payout.StatusVerifying:     "Heleket to confirm its outcome",
	payout.StatusAwaitingFunds: "funds on the merchant balance (submitted again when they may have arrived)",
}

// WaitsFor is the live part's "Waits for" line for a payout not held.
func (d payoutData) WaitsFor() string { return waitsFor[d.Payout.Status] }

// Final is what the live part tells console.js: stop asking.
func (d payoutData) Final() bool { return d.Payout.Status.Final() }

func (c *console) workflowURL(id string) string {
	if c.TemporalUIURL == "" {
		return ""
	}
	return strings.TrimRight(c.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(c.Namespace) +
		"/workflows/" + url.PathEscape(payout.WorkflowID(id))
}

func (c *console) payoutPage(w http.ResponseWriter, r *http.Request) {
	c.showPayout(w, r, http.StatusOK, chi.URLParam(r, "id"), page{})
}

func (c *console) showPayout(w http.ResponseWriter, r *http.Request, status int, id string, pg page) {
	p, err := c.Store.GetPayout(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		c.refuse(w, r, http.StatusNotFound, "payout not found")
		return
	}
	if err != nil {
		c.fail(w, r, "load the payout", err)
		return
	}
	events, err := c.Store.Events(r.Context(), id)
	if err != nil {
		c.fail(w, r, "load the payout's audit trail", err)
		return
	}
	d, _ := pg.Data.(payoutData)
	d.Payout, d.Events, d.WorkflowURL = p, events, c.workflowURL(id)
	if d.RetryKey == "" {
		d.RetryKey = "console-retry-" + randomToken()
	}
	d.Live = "/console/payouts/" + url.PathEscape(id) + "?part=live"
	pg.Title, pg.Nav, pg.Data, pg.Refresh = "Payout "+id, "payouts", d, !p.Status.Final()
	if r.URL.Query().Get("part") == "live" {
		c.renderPart(w, r, "payout", "live", pg)
		return
	}
	c.render(w, r, status, "payout", pg)
}

// decide sends an approve, reject or cancel with its note through the use
// case, which checks the role and the four eyes.
func (c *console) decide(decision string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		note := r.PostFormValue("note")
		if problem := httpapi.ReasonProblem(note); problem != "" {
			c.showPayout(w, r, http.StatusUnprocessableEntity, id,
				page{Error: "invalid decision", Data: payoutData{Note: note, NoteErr: problem}})
			return
		}
		_, err := c.Service.Decide(r.Context(), id, decision, sessionOf(r.Context()).Actor, note)
		if err != nil {
			status, msg, _ := explain(err)
			if status >= 500 && status != http.StatusServiceUnavailable {
				c.fail(w, r, "record the decision", err)
				return
			}
			c.showPayout(w, r, status, id, page{Error: msg, Data: payoutData{Note: note}})
			return
		}
		back := r.PostFormValue("back")
		if back != "approvals" {
			back = "payouts/" + url.PathEscape(id)
		}
		http.Redirect(w, r, "/console/"+back, http.StatusSeeOther)
	}
}

// retry retries a failed, rejected or expired payout through the use
// case (the gate and its controls again) and shows the new payout.
func (c *console) retry(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	created, err := c.Service.RetryPayout(r.Context(), id, r.PostFormValue("idempotency_key"), sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, fields := explain(err)
		if status >= 500 && status != http.StatusServiceUnavailable {
			c.fail(w, r, "retry the payout", err)
			return
		}
		for f, problems := range fields {
			msg += "; " + f + ": " + strings.Join(problems, ", ")
		}
		c.showPayout(w, r, status, id, page{Error: msg})
		return
	}
	http.Redirect(w, r, "/console/payouts/"+url.PathEscape(created.Payout.ID), http.StatusSeeOther)
}

type listData struct {
	Items    []payout.Payout
	Query    url.Values
	Errs     payout.FieldErrors
	Next     string
	Statuses []payout.Status
	Assets   []string
}

// payoutList is GET /payouts's list, its filters and keyset pages.
func (c *console) payoutList(w http.ResponseWriter, r *http.Request) {
	d := listData{Query: r.URL.Query(), Statuses: payout.Statuses, Assets: payout.Assets()}
	pg := page{Title: "Payouts", Nav: "payouts", Data: &d}
	q := cleanQuery(r.URL.Query())
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	f, after, limit, errs := httpapi.ParsePayoutQuery(r2)
	if !errs.Empty() {
		d.Errs = errs
		c.render(w, r, http.StatusUnprocessableEntity, "payouts", pg)
		return
	}
	items, next, err := c.Store.ListPayouts(r.Context(), f, after, limit)
	if err != nil {
		c.fail(w, r, "list the payouts", err)
		return
	}
	d.Items = items
	if next != nil {
		q.Set("cursor", httpapi.EncodeCursor(*next))
		d.Next = "/console/payouts?" + q.Encode()
	}
	c.render(w, r, http.StatusOK, "payouts", pg)
}

// cleanQuery drops the filters a form sends empty, which the API would
// read as given.
func cleanQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if v != "" {
				out.Add(k, v)
			}
		}
	}
	return out
}

type approvalsData struct {
	Payouts   []payout.Payout
	Batches   []store.Batch
	Schedules []store.Schedule
	Wallets   []walletRow
}

// approvals lists what waits for a second admin.
func (c *console) approvals(w http.ResponseWriter, r *http.Request) {
	items, _, err := c.Store.ListPayouts(r.Context(),
		store.PayoutFilter{Statuses: []payout.Status{payout.StatusAwaitingApproval}}, nil, 200)
	if err != nil {
		c.fail(w, r, "list the payouts awaiting approval", err)
		return
	}
	pending, err := c.Store.PendingApprovals(r.Context(), 200)
	if err != nil {
		c.fail(w, r, "list what awaits approval", err)
		return
	}
	d := approvalsData{Payouts: items, Batches: pending.Batches, Schedules: pending.Schedules}
	for _, wl := range pending.Wallets {
		d.Wallets = append(d.Wallets, walletRow{Wallet: wl, Ref: walletRef(wl)})
	}
	c.render(w, r, http.StatusOK, "approvals", page{Title: "Approvals", Nav: "approvals", Data: d})
}
