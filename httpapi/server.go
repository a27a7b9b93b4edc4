// Package httpapi is the HTTP face of the service: the admin routes,
// Heleket's webhook and the health checks.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/logging"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/tracing"
	"github.com/heleket-payouts/payouts/usecase"
)

const webhookPath = "/payouts/webhook"

// maxBody bounds every request body; payout requests and webhooks are a
// few hundred bytes.
const maxBody = 64 << 10

// Deps is what the API needs from the rest of the service: the use cases,
// and the store for reads.
type Deps struct {
	Service *usecase.Service
	Store   *store.Store
	// AdminTokens are the admins' credentials (digests, roles, expiry).
	AdminTokens   []access.Credential
	HeleketAPIKey string // verifies webhook signatures
	WebhookSecret string // optional X-Heleket-Signature HMAC
	// WebhookGuard: source allow-list and rate limit of the webhook route.
	WebhookGuard WebhookGuard
	// Alerter posts operational alerts (alert.Poster); nil posts none.
	Alerter Alerter
	Logger  *slog.Logger
	// Console is the admin console (package console), served under
	// /console/ with its own sign-in; nil serves none.
	Console http.Handler
	// Tracing traces every request (tracing.Handler) when on; nil is off.
	Tracing *tracing.Tracing
}

// Alerter posts an alert to the operators' channel.
type Alerter interface {
	Post(ctx context.Context, m alert.Message) error
}

type server struct {
	Deps
	log        *slog.Logger
	relayAlarm *alarm // genuine webhooks refused for want of X-Heleket-Signature
}

// New returns the router.
func New(d Deps) http.Handler {
	s := &server{Deps: d, log: d.Logger, relayAlarm: &alarm{every: relayAlertEvery}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.Alerter == nil {
		s.Alerter = (*alert.Poster)(nil) // accepts alerts and drops them
	}
	if s.WebhookSecret != "" {
		s.log.Warn(relayWarning)
	}
	r := chi.NewRouter()
	r.Use(nameSpan, middleware.RequestID, s.logRequests, middleware.Recoverer, limitBodies, checkURL)
	r.NotFound(notFound)
	r.MethodNotAllowed(methodNotAllowed(r))
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.With(s.guardWebhook()).Post(webhookPath, s.webhook)
	r.Get("/openapi.yaml", s.openapi)
	if d.Console != nil {
		r.Mount("/console", d.Console)
	}
	r.Group(func(r chi.Router) {
		r.Use(s.requireAdmin)
		r.Post("/clients/{client_id}/payout", s.createPayout)
		r.Post("/clients/{client_id}/payout/quote", s.quotePayout)
		r.Get("/payouts/{id}", s.getPayout)
		r.Get("/payouts", s.listPayouts)
		r.Get("/payouts/{id}/events", s.payoutEvents)
		r.Put("/clients/{client_id}/wallets", s.putWallet)
		r.Get("/clients/{client_id}/wallets", s.listWallets)
		r.Post("/clients/{client_id}/wallets/approve", s.changeWallet(usecase.WalletApprove))
		r.Post("/clients/{client_id}/wallets/disable", s.changeWallet(usecase.WalletDisable))
		r.Post("/clients/{client_id}/wallets/delete", s.changeWallet(usecase.WalletDelete))
		r.Get("/dashboard/api/admin-stats", s.adminStats)
		r.Get("/dashboard/api/admin-clicks", s.adminClicks)
		r.Post("/payouts/{id}/cancel", s.decide(usecase.DecideCancel))
		r.Post("/payouts/{id}/approve", s.decide(usecase.DecideApprove))
		r.Post("/payouts/{id}/reject", s.decide(usecase.DecideReject))
		s.batchRoutes(r)
		s.scheduleRoutes(r)
		s.reconcileRoutes(r)
		s.exportRoutes(r)
		s.eventRoutes(r)
		s.discrepancyRoutes(r)
		s.retryRoutes(r)
	})
	if !d.Tracing.Enabled() {
		return r
	}
	return tracing.Handler(r, d.Tracing.Provider, tracing.Routes{
		Untraced: func(r *http.Request) bool { return r.URL.Path == "/healthz" || r.URL.Path == "/readyz" },
		Public:   func(r *http.Request) bool { return r.URL.Path == webhookPath },
	})
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz checks the two things a payout cannot move without.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for name, err := range s.Service.Ready(ctx) {
		checks[name] = "ok"
		if err != nil {
			checks[name], status = err.Error(), http.StatusServiceUnavailable
		}
	}
	writeJSON(w, status, checks)
}

func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		// Lines logged with the request's context carry its id, and the
		// payout's once a handler knows it (logging.Add).
		r = r.WithContext(logging.NewScope(r.Context(), "request_id", middleware.GetReqID(r.Context())))
		next.ServeHTTP(ww, r)
		addPayoutFromRoute(r)
		s.log.InfoContext(r.Context(), "http request", "method", r.Method, "path", r.URL.Path, "status", ww.Status(),
			"duration_ms", time.Since(start).Milliseconds())
	})
}

// apiError is the body of every 4xx/5xx answer.
type apiError struct {
	Error  string              `json:"error"`
	Fields map[string][]string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing left to tell it
}

func writeError(w http.ResponseWriter, status int, msg string, fields map[string][]string) {
	writeJSON(w, status, apiError{Error: msg, Fields: fields})
}
