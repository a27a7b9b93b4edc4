package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/outbound"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

const eventsPerPage = 50

func (c *console) eventRoutes(r chi.Router) {
	r.Get("/events", c.eventsPage)
	r.Get("/events/{id}", c.eventPage)
	r.Post("/events/{id}/redeliver", c.redeliver)
}

type eventsData struct {
	Items []outbound.Body
	Query url.Values
	Types []string
	Errs  payout.FieldErrors
	Next  string
}

// eventsPage lists outbound events as GET /events does, with its filters
// (type, payout, campaign) and pages.
func (c *console) eventsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := &eventsData{Query: q, Types: outbound.Types, Errs: payout.FieldErrors{}}
	f := store.EventFilter{Type: q.Get("type"), PayoutID: q.Get("payout_id"), BatchID: q.Get("batch_id")}
	if f.Type != "" && !outbound.KnownType(f.Type) {
		d.Errs.Add("type", "unknown event type")
	}
	var before int64
	if cur := q.Get("cursor"); cur != "" {
		n, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || n <= 0 {
			d.Errs.Add("cursor", "must be a next page link of an earlier page")
		}
		before = n
	}
	pg := page{Title: "Events", Nav: "events", Data: d}
	if !d.Errs.Empty() {
		c.render(w, r, http.StatusUnprocessableEntity, "events", pg)
		return
	}
	p, err := c.Service.Events(r.Context(), f, before, eventsPerPage)
	if err != nil {
		c.fail(w, r, "list the events", err)
		return
	}
	d.Items = p.Items
	if p.Next > 0 {
		next := cleanQuery(q)
		next.Set("cursor", strconv.FormatInt(p.Next, 10))
		d.Next = "/console/events?" + next.Encode()
	}
	c.render(w, r, http.StatusOK, "events", pg)
}

type eventData struct {
	Event usecase.EventDetail
	Data  string
}

func (c *console) eventPage(w http.ResponseWriter, r *http.Request) {
	c.showEvent(w, r, http.StatusOK, chi.URLParam(r, "id"), page{})
}

func (c *console) showEvent(w http.ResponseWriter, r *http.Request, status int, id string, pg page) {
	ev, err := c.Service.Event(r.Context(), id)
	if err != nil {
		c.fail(w, r, "load the event", err)
		return
	}
	pg.Title, pg.Nav, pg.Data = "Event "+id, "events", eventData{Event: ev, Data: string(ev.Data)}
	c.render(w, r, status, "event", pg)
}

// redeliver queues the event again for every endpoint subscribed to it.
func (c *console) redeliver(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	n, err := c.Service.RedeliverEvent(r.Context(), id, sessionOf(r.Context()).Actor)
	if err != nil {
		status, msg, _ := explain(err)
		if status >= 500 {
			c.fail(w, r, "redeliver the event", err)
			return
		}
		if _, err := c.Service.Event(r.Context(), id); err != nil {
			c.refuse(w, r, status, msg) // no event page to show the refusal on
			return
		}
		c.showEvent(w, r, status, id, page{Error: msg})
		return
	}
	c.showEvent(w, r, http.StatusOK, id, page{Notice: "Queued again for " + strconv.Itoa(n) + " endpoint(s)."})
}
