package usecase

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/outbound"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// EndpointRequest configures an endpoint of outbound events.
type EndpointRequest struct {
	URL    string
	Events []string
}

// CreatedEndpoint is a new endpoint with its secret, which is shown once.
type CreatedEndpoint struct {
	store.EventEndpoint
	Secret string
}

// CreateEventEndpoint validates and stores an endpoint (admin role).
func (s *Service) CreateEventEndpoint(ctx context.Context, req EndpointRequest, actor access.Actor) (CreatedEndpoint, error) {
	if err := access.Need(actor, access.Admin, "create an event endpoint"); err != nil {
		return CreatedEndpoint{}, err
	}
	types, fields := validateEndpoint(req, s.allowHTTPEvents)
	if fields != nil {
		return CreatedEndpoint{}, invalid("invalid event endpoint", fields)
	}
	secret, err := outbound.NewSecret()
	if err != nil {
		return CreatedEndpoint{}, err
	}
	ep, err := s.store.CreateEventEndpoint(ctx, req.URL, types, secret, actor.Name)
	if err != nil {
		return CreatedEndpoint{}, err
	}
	return CreatedEndpoint{EventEndpoint: ep, Secret: secret}, nil
}

// validateEndpoint wants an absolute https URL without credentials (http
// only to a loopback host, or when allowed), and known event types.
func validateEndpoint(req EndpointRequest, allowHTTP bool) ([]string, payout.FieldErrors) {
	fields := payout.FieldErrors{}
	u, err := url.Parse(req.URL)
	switch {
	case req.URL == "":
		fields.Add("url", "is required")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		fields.Add("url", "must be an absolute http(s) URL")
	case u.User != nil:
		fields.Add("url", "must not carry credentials: the signature authenticates the events")
	case u.Fragment != "":
		fields.Add("url", "must not have a fragment")
	case u.Scheme == "http" && !allowHTTP && !loopback(u.Hostname()):
		fields.Add("url", "must be https (http only to localhost, or with EVENT_ENDPOINTS_ALLOW_HTTP)")
	case len(req.URL) > 2048:
		fields.Add("url", "must be at most 2048 characters")
	}
	var types []string
	if len(req.Events) == 0 {
		fields.Add("events", `is required: a list of event types, or ["*"] for all`)
	}
	for _, t := range req.Events {
		switch {
		case t == "*" && len(req.Events) > 1:
			fields.Add("events", `"*" stands alone`)
		case t != "*" && !outbound.KnownType(t):
			fields.Add("events", fmt.Sprintf("unknown event type %q (known: %s)", t, strings.Join(outbound.Types, ", ")))
		case !slices.Contains(types, t):
			types = append(types, t)
		}
	}
	if len(fields) > 0 {
		return nil, fields
	}
	return types, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// EventEndpoints lists the endpoints (any role may read; no secrets).
func (s *Service) EventEndpoints(ctx context.Context) ([]store.EventEndpoint, error) {
	return s.store.EventEndpoints(ctx)
}

// DeleteEventEndpoint stops deliveries to an endpoint (admin role); what
// it had still to receive is cancelled.
func (s *Service) DeleteEventEndpoint(ctx context.Context, id string, actor access.Actor) (store.EventEndpoint, error) {
	if err := access.Need(actor, access.Admin, "delete an event endpoint"); err != nil {
		return store.EventEndpoint{}, err
	}
	ep, err := s.store.DeleteEventEndpoint(ctx, id, actor.Name)
	if errors.Is(err, store.ErrNotFound) {
		return store.EventEndpoint{}, notFound("event endpoint")
	}
	return ep, err
}

// EventPage is a page of events, newest first.
type EventPage struct {
	Items []outbound.Body
	// Next is the cursor of the next page, 0 on the last.
	Next int64
}

// Events lists outbound events as their receivers get them.
func (s *Service) Events(ctx context.Context, f store.EventFilter, before int64, limit int) (EventPage, error) {
	evs, next, err := s.store.OutboundEvents(ctx, f, before, limit)
	if err != nil {
		return EventPage{}, err
	}
	page := EventPage{Items: make([]outbound.Body, 0, len(evs)), Next: next}
	for _, ev := range evs {
		b, err := outbound.Render(ctx, s.store, ev)
		if err != nil {
			return EventPage{}, err
		}
		page.Items = append(page.Items, b)
	}
	return page, nil
}

// EventDetail is an event with its deliveries and their attempts.
type EventDetail struct {
	outbound.Body
	Deliveries []store.EventDelivery
}

// Event returns one event with how its deliveries went.
func (s *Service) Event(ctx context.Context, id string) (EventDetail, error) {
	ev, err := s.store.GetOutboundEvent(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return EventDetail{}, notFound("event")
	}
	if err != nil {
		return EventDetail{}, err
	}
	body, err := outbound.Render(ctx, s.store, ev)
	if err != nil {
		return EventDetail{}, err
	}
	ds, err := s.store.EventDeliveries(ctx, ev.Seq)
	if err != nil {
		return EventDetail{}, err
	}
	return EventDetail{Body: body, Deliveries: ds}, nil
}

// RedeliverEvent sends the event again to every endpoint subscribed to
// its type (operator role), in order after what each stream has pending.
func (s *Service) RedeliverEvent(ctx context.Context, id string, actor access.Actor) (int, error) {
	if err := access.Need(actor, access.Operator, "redeliver an event"); err != nil {
		return 0, err
	}
	n, err := s.store.Redeliver(ctx, id, actor.Name)
	if errors.Is(err, store.ErrNotFound) {
		return 0, notFound("event")
	}
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, conflict("no endpoint is subscribed to this event's type: nothing to redeliver")
	}
	return n, nil
}
