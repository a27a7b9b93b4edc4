package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/outbound"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

func (s *server) eventRoutes(r chi.Router) {
	r.Post("/event-endpoints", s.createEventEndpoint)
	r.Get("/event-endpoints", s.listEventEndpoints)
	r.Delete("/event-endpoints/{id}", s.deleteEventEndpoint)
	r.Get("/events", s.listEvents)
	r.Get("/events/{id}", s.getEvent)
	r.Post("/events/{id}/redeliver", s.redeliverEvent)
}

type endpointRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// endpointView never carries the secret: only the creation's answer does.
type endpointView struct {
	store.EventEndpoint
	Secret string `json:"secret,omitempty"`
}

func (s *server) createEventEndpoint(w http.ResponseWriter, r *http.Request) {
	var body endpointRequest
	if msg, ok := decodeJSON(w, r, &body); !ok {
		writeError(w, http.StatusBadRequest, msg, nil)
		return
	}
	created, err := s.Service.CreateEventEndpoint(r.Context(), usecase.EndpointRequest{URL: body.URL, Events: body.Events}, actor(r.Context()))
	if err != nil {
		s.fail(w, r, "create the event endpoint", err)
		return
	}
	w.Header().Set("Location", "/event-endpoints/"+created.ID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, endpointView{EventEndpoint: created.EventEndpoint, Secret: created.Secret})
}

func (s *server) listEventEndpoints(w http.ResponseWriter, r *http.Request) {
	eps, err := s.Service.EventEndpoints(r.Context())
	if err != nil {
		s.fail(w, r, "list the event endpoints", err)
		return
	}
	if eps == nil {
		eps = []store.EventEndpoint{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": eps})
}

func (s *server) deleteEventEndpoint(w http.ResponseWriter, r *http.Request) {
	ep, err := s.Service.DeleteEventEndpoint(r.Context(), chi.URLParam(r, "id"), actor(r.Context()))
	if err != nil {
		s.fail(w, r, "delete the event endpoint", err)
		return
	}
	writeJSON(w, http.StatusOK, endpointView{EventEndpoint: ep})
}

type eventPage struct {
	Items      []outbound.Body `json:"items"`
	NextCursor *string         `json:"next_cursor"`
}

func (s *server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "type", "payout_id", "batch_id", "from", "to", "limit", "cursor")
	f := store.EventFilter{Type: q.get("type"), PayoutID: q.get("payout_id"), BatchID: q.get("batch_id")}
	if f.Type != "" && !outbound.KnownType(f.Type) {
		q.errs.Add("type", "unknown event type")
	}
	f.From, f.To = q.period("from", "to")
	limit := q.int("limit", 50, 1, 500)
	var before int64
	if c := q.get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			q.errs.Add("cursor", "must be a next_cursor of an earlier page")
		}
		before = n
	}
	if !q.errs.Empty() {
		writeError(w, http.StatusUnprocessableEntity, "invalid query", q.errs)
		return
	}
	page, err := s.Service.Events(r.Context(), f, before, limit)
	if err != nil {
		s.fail(w, r, "list the events", err)
		return
	}
	out := eventPage{Items: page.Items}
	if page.Next > 0 {
		c := strconv.FormatInt(page.Next, 10)
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, out)
}

type eventDetailView struct {
	outbound.Body
	Deliveries []store.EventDelivery `json:"deliveries"`
}

func (s *server) getEvent(w http.ResponseWriter, r *http.Request) {
	d, err := s.Service.Event(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, "load the event", err)
		return
	}
	if d.Deliveries == nil {
		d.Deliveries = []store.EventDelivery{}
	}
	for i := range d.Deliveries {
		if d.Deliveries[i].Attempts == nil {
			d.Deliveries[i].Attempts = []store.EventAttempt{}
		}
	}
	writeJSON(w, http.StatusOK, eventDetailView{Body: d.Body, Deliveries: d.Deliveries})
}

func (s *server) redeliverEvent(w http.ResponseWriter, r *http.Request) {
	n, err := s.Service.RedeliverEvent(r.Context(), chi.URLParam(r, "id"), actor(r.Context()))
	if err != nil {
		s.fail(w, r, "redeliver the event", err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"event_id": chi.URLParam(r, "id"), "queued": n,
		"at": time.Now().UTC()})
}
