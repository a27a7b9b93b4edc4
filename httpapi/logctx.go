package httpapi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/logging"
	"github.com/heleket-payouts/payouts/payout"
)

// addPayoutFromRoute tags the request's log lines with the payout a
// /payouts/{id}... route names. Run it after routing, when chi has filled
// the route's parameters.
func addPayoutFromRoute(r *http.Request) {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || !strings.HasPrefix(rctx.RoutePattern(), "/payouts/{id}") {
		return
	}
	if id := rctx.URLParam("id"); id != "" {
		logPayout(r, id)
	}
}

// logPayout tags the request's log lines with the payout and its workflow.
func logPayout(r *http.Request, id string) {
	logging.Add(r.Context(), "payout_id", id, "workflow_id", payout.WorkflowID(id))
}
